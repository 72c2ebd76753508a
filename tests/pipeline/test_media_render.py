"""Own media in decoded frames: the picture in the scene it was given to, a clip that moves, and
a video still made when some files are refused."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest
import yaml

from pipeline import PipelineConfig, make_draft, parse_briefing
from pipeline.cli import main
from pipeline.render.ffmpeg import ffmpeg_exe
from pipeline.render.stills import MOTION
from tests.media import frame, probe
from tests.pipeline.media_support import bomb_png, clip, find_picture, ncc_peak, pattern

pytestmark = pytest.mark.slow

BRIEFING = {
    "title": "Meet Nimbus",
    "description": "Nimbus keeps every file your team touches in sync, across laptops, phones and the "
    "office server. It works offline, resolves conflicts for you, and encrypts everything end to end. "
    "Setup takes two minutes. Try it free for thirty days.",
    "duration": 30,  # four scenes: title, list, list, closing
    "style": "modern",
    "tone": "friendly",
}
SHORT = {**BRIEFING, "description": "Nimbus keeps every file in sync. Try it free.", "duration": 15}
FOUND, ABSENT = 0.6, 0.35


def _spans(briefing: dict, tmp: Path) -> list[tuple[float, float, str]]:
    """(start, end, kind) per scene, from the same offline draft the render used."""
    draft = make_draft(parse_briefing(briefing), PipelineConfig(work_dir=tmp / "spans"))
    out, t = [], 0.0
    for plan in draft.storyboard.scenes:
        out.append((t, t + plan.duration, plan.kind))
        t += plan.duration
    return out


def _tone_share(video: Path, start: float, seconds: float, hz: int) -> float:
    """The share of the audio's energy within 30 Hz of `hz` over that stretch."""
    raw = subprocess.run(
        [
            *(ffmpeg_exe(), "-v", "error", "-ss", f"{start:.2f}", "-t", f"{seconds:.2f}", "-i", str(video)),
            *("-map", "0:a", "-ac", "1", "-ar", "16000", "-f", "f32le", "-"),
        ],
        capture_output=True,
        check=True,
    ).stdout
    power = np.abs(np.fft.rfft(np.frombuffer(raw, np.float32))) ** 2
    freqs = np.fft.rfftfreq((len(power) - 1) * 2, 1 / 16000)
    return float(power[np.abs(freqs - hz) < 30].sum() / max(power.sum(), 1e-12))


def _render(tmp: Path, aspect: str, media: list[str], capsys, briefing=BRIEFING) -> tuple[Path, str, list]:
    # The first file through the briefing's media: list (relative to it), the rest by --media.
    (tmp / "brief.yaml").write_text(yaml.safe_dump({**briefing, "aspect": aspect, "media": media[:1]}))
    extra = [a for m in media[1:] for a in ("--media", str(tmp / m))]
    out = tmp / f"out-{aspect.replace(':', 'x')}.mp4"
    code = main(["render", str(tmp / "brief.yaml"), *extra, "--height", "240", "-o", str(out)])
    err = capsys.readouterr().err
    assert code == 0, err
    return out, err, _spans({**briefing, "aspect": aspect}, tmp)


def test_picture_in_its_scene_clip_moves_and_bad_files_are_left_out_16x9(
    tmp_path: Path, monkeypatch, capsys
) -> None:
    monkeypatch.chdir(tmp_path)
    picture = pattern(tmp_path / "shot.png", (480, 270))  # the video's aspect: it fills and pans
    clip(tmp_path / "demo.mp4", 2.0, size="96x54")  # big cells; shorter than its scene: it loops
    (tmp_path / "notes.png").write_text("not a picture")
    bomb_png(tmp_path / "bomb.png")
    out, err, spans = _render(tmp_path, "16:9", ["shot.png", "demo.mp4", "notes.png", "bomb.png"], capsys)
    assert "warning: notes.png was not used: its content is text" in err
    assert "warning: bomb.png was not used: it is a decompression bomb" in err
    assert "Scene 2 shows shot.png" in err and "Scene 3 shows demo.mp4" in err
    assert probe(out).height == 240
    assert [k for _, _, k in spans] == ["title", "list", "list", "closing"]
    scale = probe(out).width * (1 + MOTION) / 480  # cover-fitted to the canvas
    scores = []
    for a, b, _ in spans:
        # The picture's lower right: a list's heading covers its top, its items the left.
        scores.append(find_picture(frame(out, (a + b) / 2), picture, scale, box=(0.45, 0.5, 0.95, 0.8)))
    assert scores[1] >= FOUND, scores
    assert all(s < ABSENT for i, s in enumerate(scores) if i != 1), scores

    # The clip moves within its scene: half a second apart its frames are no longer one picture
    # shifted by the pan, as the title's generated art is (matched above the captions).
    def same_picture(scene: int) -> float:
        a, b, _ = spans[scene]
        one, two = frame(out, (a + b) / 2 - 0.25), frame(out, (a + b) / 2 + 0.25)
        h, w = one.shape[:2]
        return ncc_peak(
            two[: round(h * 0.6)], one[round(h * 0.05) : round(h * 0.45), round(w * 0.1) : round(w * 0.9)]
        )

    assert same_picture(0) > 0.9 and same_picture(2) < 0.75, (same_picture(0), same_picture(2))
    # Muted: the clip's loud 3 kHz tone is not in the soundtrack of its scene.
    a, b, _ = spans[2]
    assert _tone_share(out, a + 0.5, b - a - 1.0, 3000) < 0.05


def test_a_wide_screenshot_sits_framed_whole_in_9x16(tmp_path: Path, monkeypatch, capsys) -> None:
    """A video of title and closing only: the title shows the picture, framed, not cut to a sliver."""
    monkeypatch.chdir(tmp_path)
    picture = pattern(tmp_path / "shot.png", (640, 400), seed=7)
    out, err, spans = _render(tmp_path, "9:16", ["shot.png"], capsys, SHORT)
    assert [k for _, _, k in spans] == ["title", "closing"] and "Scene 1 shows shot.png" in err
    a, b, _ = spans[0]
    shot = frame(out, (a + b) / 2)
    # Whole: the picture's corners are all there, at about the safe area's width.
    scale = 240 * 0.9 / 640
    assert find_picture(shot, picture, scale, box=(0.02, 0.02, 0.98, 0.98)) >= FOUND
    a, b, _ = spans[1]
    assert find_picture(frame(out, (a + b) / 2), picture, scale, box=(0.02, 0.02, 0.98, 0.98)) < ABSENT
