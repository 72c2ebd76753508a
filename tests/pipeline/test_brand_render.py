"""A branded video, decoded: the logo on the title and closing scenes, the brand's colour, and
the captions where the kit (or the --captions flag) puts them, in the kit's highlight colour."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from pipeline import Briefing, PipelineConfig, make_draft, render
from pipeline.brand import load_brand, parse_brand
from pipeline.cli import main
from pipeline.render import captions as cap
from pipeline.render.branding import resolve
from pipeline.render.layout import layout_scene
from pipeline.render.stills import Geometry
from tests.brand_support import LOGO, colour_share, find_logo, make_otf
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


def _fill(img: np.ndarray) -> float:
    """How much of the box around the light text (white, or the yellow highlight) is ink: high
    for a font whose letters are solid boxes, low for any real one."""
    px = img.astype(int)
    ink = (px.min(-1) > 200) | ((px[..., 0] > 200) & (px[..., 1] > 170) & (px[..., 2] < 90))
    ys, xs = np.nonzero(ink)
    assert len(ys), "no light text here"
    return float(ink[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1].mean())


def test_an_opentype_font_file_draws_the_headlines_and_the_captions(tmp_path: Path) -> None:
    font = make_otf(tmp_path / "Boxy.otf")  # every letter a solid box
    brand = parse_brand(
        {"name": "Nimbus", "colors": {"primary": "#2F6BFF", "background": "#0B1533"}, "font": str(font)}
    )
    config = PipelineConfig(work_dir=tmp_path / "work", height=240, brand=brand)
    draft = make_draft(BRIEFING, config)
    result = render(draft, config, out=tmp_path / "boxy.mp4")
    branding = resolve(brand)
    assert branding.face == font and branding.captions.family == "Boxy Test" and not branding.notes
    title = frame(result.path, 1.2)
    w, h = result.width, result.height
    block = next(
        b
        for b in layout_scene(draft.storyboard.scenes[0], w, h, branding.room(Geometry(w, h)))
        if b.role == "title"
    )
    top, bottom = cap.band(w, h, branding.captions)
    # Solid boxes where the title and the caption are (a real font fills well under half).
    assert _fill(title[block.box.y : block.box.bottom, block.box.x : block.box.right]) > 0.55
    assert _fill(title[top:bottom]) > 0.55
