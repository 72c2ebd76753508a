"""Offline end to end: real Piper voice, procedural art, ffmpeg; checked by decoding the MP4."""

import threading
import time
from pathlib import Path

import numpy as np
import pytest

from pipeline import Briefing, Cancelled, CancelToken, PipelineConfig, make_draft, render
from pipeline.agents.narrator import LEAD_IN
from tests.media import audio_rms, frame, probe, top_level_boxes

DESCRIPTION = (
    "Nimbus keeps every file your team touches in sync. It works offline and encrypts everything. "
    "Setup takes two minutes."
)


def config(tmp: Path, **kw: object) -> PipelineConfig:
    return PipelineConfig(work_dir=tmp / "work", height=240, **kw)


@pytest.mark.parametrize(("aspect", "size"), [("16:9", (426, 240)), ("9:16", (240, 426))])
def test_offline_render_is_a_real_video(tmp_path: Path, aspect: str, size: tuple[int, int]) -> None:
    briefing = Briefing(
        title="Meet Nimbus",
        description=DESCRIPTION,
        duration=16,
        style="playful",
        tone="friendly",
        aspect=aspect,
    )
    cfg = config(tmp_path)
    phases: list[tuple[str, float]] = []
    draft = make_draft(briefing, cfg, progress=lambda p, f, m: phases.append((p, f)))
    assert draft.contact_sheet.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    out = tmp_path / "out.mp4"
    result = render(draft, cfg, out=out, progress=lambda p, f, m: phases.append((p, f)))

    info = probe(out)
    assert abs(info.duration - 16) <= 0.1
    assert (info.width, info.height) == size == (result.width, result.height)
    assert (info.video_codec, info.pix_fmt, info.audio_codec) == ("h264", "yuv420p", "aac")
    assert top_level_boxes(out).index("moov") < top_level_boxes(out).index("mdat")  # faststart

    # Narration is audible where the first scene speaks; frames are never blank.
    assert audio_rms(out, LEAD_IN + 0.2, LEAD_IN + 2.0) > 0.03
    for t in (0.5, 8.0, 15.5):
        img = frame(out, t)
        assert img.std() > 8, f"blank frame at {t}s"
    # Every phase reported, and encoding at least every 10%.
    assert {p for p, _ in phases} >= {"script", "storyboard", "voice", "visuals", "editor"}
    enc = [f for p, f in phases if p == "editor"]
    assert enc[-1] == 1.0 and max(np.diff(sorted(set(enc)))) <= 0.1 + 1e-9


def test_captions_are_burned_in(tmp_path: Path) -> None:
    briefing = Briefing(title="Meet Nimbus", description=DESCRIPTION, duration=15, style="minimal")
    outs = {}
    for on in (True, False):
        # One work folder: both renders share the cached narration, so only captions differ.
        cfg = config(tmp_path, captions=on, music=False)
        outs[on] = render(make_draft(briefing, cfg), cfg, out=tmp_path / f"{on}.mp4").path
    t = LEAD_IN + 1.0
    with_caps, without = frame(outs[True], t).astype(int), frame(outs[False], t).astype(int)
    h = with_caps.shape[0]
    band = slice(int(h * 0.7), h)  # captions sit in the lower part of the frame
    top = slice(0, int(h * 0.3))
    assert np.abs(with_caps[band] - without[band]).mean() > 3
    assert np.abs(with_caps[top] - without[top]).mean() < 1.5


def test_rerun_reuses_finished_phases(tmp_path: Path) -> None:
    briefing = Briefing(title="Meet Nimbus", description=DESCRIPTION, duration=15)
    cfg = config(tmp_path)
    draft = make_draft(briefing, cfg)
    first = render(draft, cfg, out=tmp_path / "a.mp4")
    again = render(draft, cfg, out=tmp_path / "b.mp4")
    assert first.scenes_rendered > 0 and first.scenes_reused == 0
    assert again.scenes_rendered == 0 and again.scenes_reused == first.scenes_rendered
    assert abs(probe(tmp_path / "b.mp4").duration - 15) <= 0.1


def test_cancel_stops_quickly_and_cleans_temporaries(tmp_path: Path) -> None:
    briefing = Briefing(title="Meet Nimbus", description=DESCRIPTION, duration=120)
    cfg = PipelineConfig(work_dir=tmp_path / "work", height=720)
    draft = make_draft(briefing, cfg)
    token = CancelToken()
    asked: list[float] = []

    def on_progress(phase: str, fraction: float, message: str) -> None:
        if phase == "editor" and fraction > 0.05 and not asked:
            asked.append(time.monotonic())
            threading.Timer(0, token.cancel).start()

    with pytest.raises(Cancelled):
        render(draft, cfg, progress=on_progress, cancel=token, out=tmp_path / "x.mp4")
    assert asked and time.monotonic() - asked[0] < 2.0
    assert not list(draft.work_dir.rglob(".tmp-*"))
    assert not (tmp_path / "x.mp4").exists()


def test_briefing_text_never_becomes_a_path(tmp_path: Path) -> None:
    evil = "../../../../tmp/oma-escape"
    briefing = Briefing(title=evil, description=f"{evil}/x. /etc/passwd ~/.ssh/id_rsa", duration=15)
    work = tmp_path / "sandbox" / "work"
    cfg = PipelineConfig(work_dir=work, height=240)
    render(make_draft(briefing, cfg), cfg, out=tmp_path / "sandbox" / "out.mp4")
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert written and all(p.is_relative_to(tmp_path / "sandbox") for p in written)
    assert not Path("/tmp/oma-escape").exists()
    assert all("oma-escape" not in p.name and ".." not in p.name for p in written)


def test_revision_of_one_scene_reuses_the_others(tmp_path: Path) -> None:
    briefing = Briefing(
        title="Meet Nimbus", description=DESCRIPTION + " Teams save an hour a week.", duration=40
    )
    cfg = config(tmp_path)
    draft = make_draft(briefing, cfg)
    first = render(draft, cfg, out=tmp_path / "v1.mp4")
    scenes = list(draft.script.scenes)
    assert len(scenes) >= 4
    scenes[2] = scenes[2].model_copy(update={"narration": "This scene now says something new."})
    revised = draft.model_copy(
        update={"script": draft.script.model_copy(update={"scenes": scenes}), "revision": 2}
    )
    second = render(revised, cfg, out=tmp_path / "v2.mp4")
    assert second.scenes_rendered < first.scenes_rendered
    assert second.scenes_rendered <= 2 and second.scenes_reused >= len(scenes) - 2
    assert abs(probe(tmp_path / "v2.mp4").duration - 40) <= 0.1
