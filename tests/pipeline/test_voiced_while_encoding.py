"""Scenes encoded while later scenes are voiced: the draft's durations are kept while each
narration fits its scene, and a narration that does not fit re-times the scenes."""

import json
import re
from pathlib import Path

from pipeline import Briefing, PipelineConfig, make_draft, render
from pipeline.agents.narrator import LEAD_IN, TIMING_FILE
from pipeline.models import Draft
from pipeline.progress import overall_percent
from tests.media import probe

DESCRIPTION = (
    "Nimbus keeps every file your team touches in sync, across laptops, phones and the office server. "
    "It works offline, resolves conflicts for you, and encrypts everything end to end. "
    "Setup takes two minutes and needs no IT ticket."
)


def _cue_starts(vtt: Path) -> list[float]:
    """Start of each caption cue, in seconds."""
    out = []
    for line in vtt.read_text().splitlines():
        if m := re.match(r"(\d\d):(\d\d):(\d\d\.\d\d\d) -->", line):
            h, mnt, s = m.groups()
            out.append(int(h) * 3600 + int(mnt) * 60 + float(s))
    return out


def _render(tmp: Path, draft: Draft, cfg: PipelineConfig) -> tuple[list[float], list[tuple[str, float]]]:
    """Render; the durations it used and every progress report."""
    reports: list[tuple[str, float]] = []
    result = render(draft, cfg, out=tmp / "out.mp4", progress=lambda p, f, m: reports.append((p, f)))
    assert abs(probe(result.path).duration - draft.briefing.duration) <= 0.1
    durations = json.loads((draft.work_dir / TIMING_FILE).read_text())["durations"]
    # Each scene's narration starts LEAD_IN into the scene: its first caption page shows then.
    starts = [sum(durations[:i]) + LEAD_IN for i in range(len(durations))]
    cues = _cue_starts(next(p for p in result.captions if p.suffix == ".vtt"))
    assert all(any(abs(c - s) < 0.01 for c in cues) for s in starts), (starts, cues)
    # The bar never goes back, though voice, drawing and encoding overlap.
    percents = [overall_percent(p, f) for p, f in reports if p in ("voice", "visuals", "editor")]
    assert percents == sorted(percents), reports
    return durations, reports


def test_scenes_keep_the_drafts_durations_while_the_narration_fits(tmp_path: Path) -> None:
    briefing = Briefing(title="Meet Nimbus", description=DESCRIPTION, duration=20, style="modern")
    cfg = PipelineConfig(work_dir=tmp_path / "work", height=240, music=False)
    draft = make_draft(briefing, cfg)
    durations, _ = _render(tmp_path, draft, cfg)
    assert durations == [p.duration for p in draft.storyboard.scenes]


def test_a_narration_too_long_for_its_scene_re_times_the_scenes(tmp_path: Path) -> None:
    briefing = Briefing(title="Meet Nimbus", description=DESCRIPTION, duration=20, style="modern")
    cfg = PipelineConfig(work_dir=tmp_path / "work", height=240, music=False)
    draft = make_draft(briefing, cfg)
    assert len(draft.storyboard.scenes) >= 3
    # The second scene gets one second, far too short for its sentence; the last gets the rest.
    scenes = draft.storyboard.scenes
    spare = scenes[1].duration - 1.0
    squeezed = [
        p.model_copy(update={"duration": d})
        for p, d in zip(scenes, [scenes[0].duration, 1.0, *[p.duration for p in scenes[2:]]], strict=True)
    ]
    squeezed[-1] = squeezed[-1].model_copy(update={"duration": squeezed[-1].duration + spare})
    draft = draft.model_copy(update={"storyboard": draft.storyboard.model_copy(update={"scenes": squeezed})})
    durations, reports = _render(tmp_path, draft, cfg)
    assert durations[1] > 2.0, durations
    assert abs(sum(durations) - 20) < 1e-6
    # Encoding is reported once, from the start, for the re-timed scenes only.
    editor = [f for p, f in reports if p == "editor"]
    assert editor == sorted(editor) and editor[-1] == 1.0
