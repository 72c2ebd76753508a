"""A branded video, decoded: the logo on the title and closing scenes, the brand's colour, and
the captions where the kit (or the --captions flag) puts them, in the kit's highlight colour."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from pipeline import Briefing, PipelineConfig, make_draft, render
from pipeline.brand import load_brand
from pipeline.cli import main
from tests.brand_support import LOGO, colour_share, find_logo
from tests.media import frame

pytestmark = pytest.mark.slow

MAGENTA = (255, 43, 214)
KIT = f"""name: Nimbus
logo: {LOGO}
colors: {{primary: "#2F6BFF", background: "#0B1533"}}
font: lato
captions: {{position: top, highlight: "#FF2BD6"}}
pronounce: {{Nimbus: NIM-bus}}
"""
BRIEFING = Briefing(
    title="Meet Nimbus",
    description="Nimbus keeps every file in sync. It works offline and encrypts everything end to end. "
    "Try it free for thirty days.",
    duration=20,
    style="corporate",
)


def _kit(tmp: Path) -> Path:
    path = tmp / "brand.yaml"
    path.write_text(KIT)
    return path


def _rows(video: Path, t: float, colour=MAGENTA) -> np.ndarray:
    """Which rows of the frame at `t` hold the colour."""
    img = frame(video, t)
    close = np.all(np.abs(img.astype(int) - np.array(colour)) <= 45, axis=-1)
    return np.flatnonzero(close.sum(axis=1) >= 2)


def test_the_kit_is_in_the_video(tmp_path: Path) -> None:
    config = PipelineConfig(work_dir=tmp_path / "work", height=240, brand=load_brand(_kit(tmp_path)))
    draft = make_draft(BRIEFING, config)
    assert draft.notes == [] or all("logo" not in n for n in draft.notes)
    kinds = [p.kind for p in draft.storyboard.scenes]
    assert kinds[0] == "title" and kinds[-1] == "closing" and len(kinds) >= 3, kinds
    result = render(draft, config, out=tmp_path / "branded.mp4")
    video, h = result.path, result.height
    second = draft.storyboard.starts[1] + draft.storyboard.scenes[1].duration / 2
    title, closing, middle = frame(video, 1.2), frame(video, result.duration - 0.5), frame(video, second)
    for shot in (title, closing):
        score, (_x, y), size = find_logo(shot, heights=range(14, 64, 2))
        assert score > 0.9 and y < h * 0.6, (score, y, size)
    assert find_logo(middle, heights=range(14, 64, 2))[0] < 0.8  # no watermark in this kit
    # The brand's primary colour: the logo's badge and the subtitle's accent.
    assert colour_share(title, (47, 107, 255)) > 0.01
    # Captions at the top, their spoken word in the kit's highlight colour.
    rows = _rows(video, 1.2)
    assert len(rows) and rows.max() < h * 0.35, rows
    assert any("Nimbus" in p.read_text() for p in result.captions if p.suffix == ".srt")


def test_the_captions_flag_overrides_the_kit(tmp_path: Path, capsys) -> None:
    out = tmp_path / "flag.mp4"
    args = ["render", "--title", BRIEFING.title, "--description", BRIEFING.description, "--duration", "20"]
    args += ["--brand", str(_kit(tmp_path)), "--captions", "middle", "--height", "240", "-o", str(out)]
    assert main(args) == 0, capsys.readouterr().err
    rows = _rows(out, 1.2)
    assert len(rows) and rows.min() > 240 * 0.45 and rows.max() < 240 * 0.8, rows
