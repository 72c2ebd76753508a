"""Layout and legibility: every kind's boxes stay title-safe, and text meets WCAG AA over anything."""

from itertools import pairwise

import numpy as np
import pytest
from PIL import Image

from pipeline.agents import scene_kinds as sk
from pipeline.briefing import Aspect, Style
from pipeline.models import SCENE_KINDS, ScenePlan, WordTiming
from pipeline.render.contrast import contrast_ratio, legible
from pipeline.render.kinds import Look, render_scene
from pipeline.render.layout import content_area, layout_scene, safe_area
from pipeline.render.stills import Geometry, font, sheet_grid

LONG = "Internationalisation"


def words(n: int, long_word: str = LONG) -> str:
    return " ".join([long_word, *["everything"] * (n - 1)])


def longest(kind: str, long_word: str = LONG) -> ScenePlan:
    """A plan of `kind` with every field at its allowed maximum."""
    return ScenePlan(
        kind=kind,
        headline=words(sk.CTA_WORDS if kind == "closing" else sk.TITLE_WORDS, long_word),
        visual_prompt="x",
        layout="left",
        subtitle=words(sk.SUBTITLE_WORDS, long_word),
        figure="$" + "8" * (sk.FIGURE_CHARS - 2) + "M",
        unit="employees",
        label=words(sk.LABEL_WORDS, long_word),
        items=[words(sk.ITEM_WORDS, long_word)] * sk.MAX_ITEMS,
        quote=words(sk.QUOTE_WORDS, long_word),
        attribution=words(6, long_word),
        link="https://" + "x" * (sk.LINK_CHARS - 8),
    )


SIZES = [aspect.size(h) for aspect in Aspect for h in (720, 1080)]


@pytest.mark.parametrize("kind", SCENE_KINDS)
@pytest.mark.parametrize("layout", ["left", "center", "top"])
@pytest.mark.parametrize("long_word", [LONG, "W" * 60])
def test_every_box_stays_title_safe_with_the_longest_texts(kind: str, layout: str, long_word: str) -> None:
    plan = longest(kind, long_word).model_copy(update={"layout": layout})
    for width, height in SIZES:
        safe, area = safe_area(width, height), content_area(width, height)
        assert safe.contains(area)
        blocks = layout_scene(plan, width, height)
        assert blocks, (kind, width, height)
        for b in blocks:
            assert area.contains(b.box), (kind, width, height, b.role, b.box)
            for line in b.lines:  # the text itself fits inside its box's padding
                assert b.line_width(line) + b.indent <= b.box.w - 2 * b.pad + 1, (kind, b.role, line)
        tops = [b.box.y for b in blocks]
        assert tops == sorted(tops) and all(a.box.bottom <= c.box.y for a, c in pairwise(blocks))


@pytest.mark.parametrize("width, height", SIZES)
def test_a_long_word_shrinks_the_text_before_it_is_broken(width: int, height: int) -> None:
    title = ScenePlan(
        kind="title", headline="Internationalisation and accessibility", subtitle="", visual_prompt="x"
    )
    closing = ScenePlan(
        kind="closing",
        headline="Read the release notes",
        link="https://orbit.example.com/releases/2.0",
        visual_prompt="x",
    )
    for plan in (title, closing):
        for block in layout_scene(plan, width, height):
            shown = " ".join(block.lines).split()
            assert all(not line.endswith("-") for line in block.lines), block.lines
            if block.role == "link":  # shown without its scheme; any break after a "/" or "."
                assert "".join(block.lines) == "orbit.example.com/releases/2.0", block.lines
                assert all(line[-1] in "/." for line in block.lines[:-1]), block.lines
                assert "2.0" in block.lines[-1]  # a "/" is taken before a "." ("releases/2." + "0")
            else:
                assert set(shown) <= set(plan.headline.split()), block.lines  # every word whole


@pytest.mark.parametrize(
    "headline",
    [
        "Sync is twice as fast",
        "Nimbus keeps every file your team touches in sync",
        "Expect the change next sprint",
    ],
)
def test_headline_lines_are_balanced_not_left_with_an_orphan(headline: str) -> None:
    for width, height in SIZES:
        (block,) = layout_scene(
            ScenePlan(kind="statement", headline=headline, visual_prompt="x"), width, height
        )
        widths = [block.line_width(line) for line in block.lines]
        if len(widths) > 1:
            assert min(widths) >= 0.4 * max(widths), (width, height, block.lines)


def test_a_word_too_long_for_any_size_breaks_with_a_hyphen() -> None:
    (block,) = layout_scene(ScenePlan(kind="statement", headline="W" * 60, visual_prompt="x"), 720, 1280)
    assert len(block.lines) > 1 and all(line.endswith("-") for line in block.lines[:-1])
    assert "".join(line.rstrip("-") for line in block.lines) == "W" * 60


def test_short_texts_are_big_and_long_ones_shrink() -> None:
    short = ScenePlan(kind="statement", headline="Ship it", visual_prompt="x")
    long = longest("statement")
    (a,), (b,) = layout_scene(short, 1280, 720), layout_scene(long, 1280, 720)
    assert a.size > b.size and len(a.lines) == 1


@pytest.mark.parametrize("kind", SCENE_KINDS)
def test_motion_starts_and_ends_inside_the_safe_area(kind: str) -> None:
    for style in (Style.CORPORATE, Style.MODERN, Style.CINEMATIC, Style.PLAYFUL):
        for width, height in [Aspect.LANDSCAPE.size(720), Aspect.PORTRAIT.size(720), Aspect.SQUARE.size(720)]:
            geo = Geometry(width, height)
            art = Image.new("RGB", geo.canvas, (40, 60, 90))
            heard = tuple(
                WordTiming(word=w, start=0.4 + i * 0.3, end=0.6 + i * 0.3) for i, w in enumerate(LONG.split())
            )
            layers = render_scene(longest(kind), Look(geo, style, art, heard))
            safe = safe_area(width, height)
            for layer in layers:
                for x, y in ((layer.x, layer.y), (layer.x + layer.dx, layer.y + layer.dy)):
                    assert safe.x <= x and x + layer.width <= safe.right, (kind, style, layer.role)
                    assert safe.y <= y and y + layer.height <= safe.bottom, (kind, style, layer.role)
                assert list(layer.state_times) == sorted(layer.state_times)


def _checker(a: tuple[int, int, int], b: tuple[int, int, int]) -> np.ndarray:
    img = np.zeros((64, 64, 3), np.uint8)
    img[:] = a
    img[::2, ::2] = b
    img[1::2, 1::2] = b
    return img


BACKGROUNDS = {
    "white": np.full((32, 32, 3), 255, np.uint8),
    "black": np.zeros((32, 32, 3), np.uint8),
    "mid grey": np.full((32, 32, 3), 119, np.uint8),
    "black and white": _checker((0, 0, 0), (255, 255, 255)),
    "photo-like noise": np.random.default_rng(7).integers(0, 256, (80, 80, 3), dtype=np.uint8),
    "brand orange": np.full((32, 32, 3), (255, 102, 0), np.uint8),
}


@pytest.mark.parametrize("background", BACKGROUNDS)
@pytest.mark.parametrize(
    "text", [(255, 255, 255), (17, 24, 39), (255, 214, 0), (0, 120, 255), (128, 128, 128)]
)
def test_text_meets_aa_over_any_background(background: str, text: tuple[int, int, int]) -> None:
    behind = BACKGROUNDS[background]
    ink = legible(text, behind)
    # Checked here from the pixels: the scrim composited over the background, then WCAG's ratio.
    shown = behind.reshape(-1, 3) * (1 - ink.scrim_alpha) + np.asarray(ink.scrim) * ink.scrim_alpha
    ratios = contrast_ratio(np.asarray(ink.text, float), shown)
    assert np.percentile(ratios, 1) >= 4.5, (background, text, ink)
    if contrast_ratio(text, behind.reshape(-1, 3)).min() >= 4.5:
        assert ink.text == text and ink.scrim_alpha == 0  # legible already: left alone


def test_baked_layers_meet_aa_over_the_art_behind_them() -> None:
    """Text pixels of a rendered layer against the scrim-over-background pixels around them."""
    geo = Geometry(1280, 720)
    for fill in ((250, 250, 250), (120, 120, 120), (255, 95, 143)):
        art = Image.new("RGB", geo.canvas, fill)
        plan = ScenePlan(
            kind="stat",
            headline="x",
            visual_prompt="x",
            figure="12%",
            label="Revenue growth",
            palette="candy",
        )
        for layer in render_scene(plan, Look(geo, Style.PLAYFUL, art)):
            img = np.asarray(layer.final()).astype(float)
            alpha = img[..., 3] / 255
            text = img[alpha == 1][:, :3]
            if not len(text):
                continue
            colour = np.median(text, axis=0)
            ring = (alpha > 0) & (alpha < 1)
            behind = np.asarray(fill, float)
            if ring.any():  # the scrim: its colour and opacity composited over the art
                a = np.median(alpha[ring])
                behind = behind * (1 - a) + np.median(img[ring][:, :3], axis=0) * a
            assert contrast_ratio(colour, behind) >= 4.5, (fill, layer.role, colour, behind)


def test_contact_sheet_grid_fits_the_scene_count() -> None:
    for n in range(1, 21):
        cols, rows = sheet_grid(n, 400, 225)
        assert cols * rows >= n and cols * rows - n < cols  # never a whole empty row
        if n <= 3:
            assert cols * rows == n, n  # two scenes fill the sheet, not half of it
    assert sheet_grid(2, 240, 427) == (2, 1)
    assert font(10).size == 10
