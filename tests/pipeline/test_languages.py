"""Headlines and captions in German, Spanish, Hebrew and Arabic: glyphs, title-safe boxes, RTL order."""

from __future__ import annotations

import subprocess
import unicodedata
from pathlib import Path

import imageio_ffmpeg
import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from pipeline import Briefing, PipelineConfig, make_draft, render
from pipeline.brand import FONTS_DIR
from pipeline.briefing import Style
from pipeline.models import ScenePlan
from pipeline.render import captions as cap
from pipeline.render.branding import Branding
from pipeline.render.kinds import Look, render_scene
from pipeline.render.layout import Room, content_area, layout_scene, safe_area
from pipeline.render.procedural import STYLE_PALETTES
from pipeline.render.stills import Geometry, font, font_path
from pipeline.run import geometry
from tests.media import frame

TEXTS = {
    "de": ("Größere Teams sparen täglich Zeit", "Grüße aus München, überall synchron"),
    "es": ("¿Por qué elegir Nimbus? Año tras año", "Sincronización automática en cada rincón"),
    "he": ("נימבוס שומר על הקבצים שלכם", "עובד גם בלי חיבור לרשת"),
    "ar": ("نيمبوس يحافظ على ملفاتكم متزامنة", "يعمل أيضا بدون اتصال بالشبكة"),
}
SIZES = [(426, 240), (240, 426), (240, 240), (1280, 720)]


def _ink(text: str, fnt: ImageFont.FreeTypeFont) -> np.ndarray:
    img = Image.new("L", (int(fnt.getlength(text)) + 20, int(fnt.size * 1.6)))
    ImageDraw.Draw(img).text((10, 4), text, font=fnt, fill=255)
    return np.asarray(img)


def test_the_bundled_font_has_every_glyph_of_these_scripts() -> None:
    fnt = font(40)
    tofu = _ink("\U000f0000", fnt)  # a private-use code point: the font's .notdef box
    for lang, lines in TEXTS.items():
        for ch in sorted(set("".join(lines)) - {" "}):
            assert not np.array_equal(_ink(ch, fnt), tofu), f"{lang}: {ch!r} (U+{ord(ch):04X}) is tofu"
    # And a script it lacks is seen as such, so the check above can fail.
    assert np.array_equal(_ink("你", fnt), tofu)


def _plans(headline: str, other: str) -> list[ScenePlan]:
    base = {"visual_prompt": "x"}
    return [
        ScenePlan(kind="title", headline=headline, subtitle=other, **base),
        ScenePlan(kind="statement", headline=headline, layout="left", **base),
        ScenePlan(kind="stat", headline=headline, figure="30", unit=other.split()[-1], label=other, **base),
        ScenePlan(kind="list", headline=other, items=[headline, other, headline], **base),
        ScenePlan(kind="quote", headline="", quote=f"{headline} {other}", attribution=other, **base),
        ScenePlan(kind="closing", headline=headline, link="https://nimbus.example/de/grüße", **base),
    ]


@pytest.mark.parametrize("lang", TEXTS)
@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_boxes_stay_title_safe_and_above_the_captions(lang: str, size: tuple[int, int]) -> None:
    width, height = size
    safe, area = safe_area(width, height), content_area(width, height)
    for plan in _plans(*TEXTS[lang]):
        blocks = layout_scene(plan, width, height)
        assert blocks, plan.kind
        for block in blocks:
            assert safe.contains(block.box) and area.contains(block.box), (plan.kind, block)
            # Each line fits its box, and no word was lost or cut (no ellipsis at these lengths).
            assert all(block.line_width(line) <= block.box.w for line in block.lines)
        words = " ".join(" ".join(b.lines) for b in blocks if b.role in ("title", "headline", "cta", "label"))
        if plan.kind in ("title", "statement", "closing"):
            assert words == plan.headline
        if plan.kind == "stat":
            assert words == plan.label


@pytest.mark.parametrize("lang", TEXTS)
def test_lists_and_left_headlines_start_on_the_side_their_script_is_read_from(lang: str) -> None:
    rtl = lang in ("he", "ar")
    width, height = 426, 240
    area = content_area(width, height)
    headline, other = TEXTS[lang]
    geo = Geometry(width, height)
    art = Image.new("RGB", geo.canvas, (20, 30, 60))
    blue = STYLE_PALETTES[Style.CORPORATE][0]  # its accent (the bullets' colour) is a clear blue
    items = ScenePlan(kind="list", headline=other, items=[headline, other], visual_prompt="x", palette=blue)
    left = ScenePlan(kind="statement", headline=headline, layout="left", visual_prompt="x")
    for plan in (items, left):
        blocks = layout_scene(plan, width, height)
        for block in blocks:
            assert block.align == ("right" if rtl else "left"), (plan.kind, block)
            # Against the area's edge on that side (but for the statement's accent bar; overlays
            # sit on even pixels, so a box may be one off).
            edge = area.right - block.box.right if rtl else block.box.x - area.x
            assert edge <= (2 * max(4, height // 70) if plan.kind == "statement" else 0) + 1, (
                plan.kind,
                block,
            )
        layers = render_scene(plan, Look(geo, Style.CORPORATE, art))
        mid = width // 2
        if plan.kind == "list":  # each item's bullet (its only coloured ink) where its lines start
            for layer in [x for x in layers if x.role == "item"]:
                px = np.asarray(layer.final()).astype(int)
                coloured = (px[..., 3] > 200) & (px[..., :3].max(-1) - px[..., :3].min(-1) > 60)
                cols = np.flatnonzero(coloured.any(0))
                assert len(cols) and (cols.mean() > layer.width / 2) == rtl, (lang, cols, layer.width)
        else:  # the accent bar beside the headline's start
            bar, head = layers[0], layers[1]
            assert bar.role == "bar" and (bar.x > head.x + head.width if rtl else bar.x < head.x), (bar, head)
            assert (bar.x > mid) == rtl


def test_a_brand_font_without_a_scripts_letters_leaves_that_text_to_the_bundled_font() -> None:
    lato = FONTS_DIR / "Lato-Bold.ttf"  # Latin (with German and Spanish letters), no Hebrew or Arabic
    for lang, (headline, other) in TEXTS.items():
        for plan in _plans(headline, other):
            for block in layout_scene(plan, 426, 240, Room(face=lato)):
                hebrew_or_arabic = any(
                    unicodedata.bidirectional(c) in ("R", "AL") for c in "".join(block.lines)
                )
                assert block.face == (None if hebrew_or_arabic else lato), (lang, plan.kind, block)
    # So a Hebrew headline in a Lato kit is drawn as it is without a kit: letters, not boxes.
    geo, art = Geometry(426, 240), Image.new("RGB", Geometry(426, 240).canvas, (20, 30, 60))
    plan = ScenePlan(kind="statement", headline=TEXTS["he"][0], visual_prompt="x")
    plain = render_scene(plan, Look(geo, Style.CORPORATE, art))
    branded = render_scene(plan, Look(geo, Style.CORPORATE, art, branding=Branding(face=lato)))
    assert [x.image.tobytes() for x in branded] == [x.image.tobytes() for x in plain]


def _where(word: np.ndarray, line: np.ndarray) -> int:
    """x of the best match of `word`'s ink inside `line`'s ink."""
    cols = np.flatnonzero(word.max(0))
    t = word[:, cols[0] : cols[-1] + 1].astype(float)
    a = line.astype(float)[: t.shape[0]]
    return min(
        range(a.shape[1] - t.shape[1]), key=lambda x: float(np.abs(a[:, x : x + t.shape[1]] - t).sum())
    )


@pytest.mark.parametrize("lang", ["he", "ar"])
def test_headlines_in_rtl_scripts_read_right_to_left_and_arabic_is_joined(lang: str) -> None:
    fnt = font(40)
    first, *_rest = TEXTS[lang][1].split()
    line = _ink(TEXTS[lang][1], fnt)
    # The first word of the sentence is drawn at the right end of the line (bidi reordering).
    assert _where(_ink(first, fnt), line) > line.shape[1] / 2
    if lang == "ar":  # letters take their joined forms (shaping), unlike the unshaped basic layout
        basic = ImageFont.truetype(str(font_path()), 40, layout_engine=ImageFont.Layout.BASIC)
        assert not np.array_equal(_ink(first, fnt), _ink(first, basic))


def _libass(tmp: Path, text: str, current: int = 0, size: tuple[int, int] = (426, 240)) -> np.ndarray:
    """One caption page as the editor burns it (libass, the bundled font), as grey pixels."""
    fonts = tmp / "fonts"
    fonts.mkdir(exist_ok=True)
    (fonts / font_path().name).write_bytes(font_path().read_bytes())
    words = text.split()
    states = [cap.Caption(0.0, 1.0, tuple(words), current)]
    ass = tmp / "c.ass"
    ass.write_text(cap.to_ass(states, *size), encoding="utf-8")
    png = tmp / "c.png"
    subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-y", "-f", "lavfi", "-i",
         f"color=black:s={size[0]}x{size[1]}:d=1", "-vf", "ass=c.ass:fontsdir=fonts", "-frames:v", "1",
         "c.png"],
        cwd=tmp, check=True,
    )  # fmt: skip
    return np.asarray(Image.open(png).convert("L"))


@pytest.mark.parametrize("size", [(720, 720), (720, 1280), (1280, 720)])
def test_a_caption_word_longer_than_a_line_stays_inside_the_side_margins(tmp_path: Path, size) -> None:
    ink = np.flatnonzero(
        (_libass(tmp_path, "or email support@orbit-example-company.com.", 1, size) > 60).max(0)
    )
    side = round(size[0] * 0.05)  # the outline may reach a little past the 6% margin
    assert ink[0] >= side and ink[-1] <= size[0] - side, (ink[0], ink[-1])


def test_captions_in_hebrew_read_right_to_left(tmp_path: Path) -> None:
    first, second = "שלום", "לכולם"
    line = _libass(tmp_path, f"{first} {second}", current=1)  # the second word is being spoken
    # The first word stands to the right of the second, as it does with no highlight at all.
    plain = _libass(tmp_path, f"{first} {second}", current=-1)
    a, b = _libass(tmp_path, first, current=-1), _libass(tmp_path, second, current=-1)
    assert _where(a, plain) > _where(b, plain)  # libass's own bidi, without colour runs
    assert _where(a, line) > _where(b, line)


@pytest.mark.parametrize("current", [0, 1, 2])
def test_every_highlight_keeps_an_rtl_caption_in_reading_order(tmp_path: Path, current: int) -> None:
    words = ["שלום", "לכולם", "היום"]
    line = _libass(tmp_path, " ".join(words), current=current)
    spots = [_where(_libass(tmp_path, w, current=-1), line) for w in words]
    assert spots[0] > spots[1] > spots[2], spots  # read from the right, whichever word is lit


def test_moving_the_highlight_moves_no_glyph_of_an_rtl_sentence(tmp_path: Path) -> None:
    # The full stop belongs at the left end; libass shaped it beside whichever run it ended.
    lines = [_libass(tmp_path, "שלום לכולם היום.", current=k) > 60 for k in (-1, 0, 1, 2)]
    edges = [(int(np.flatnonzero(m.max(0))[0]), int(np.flatnonzero(m.max(0))[-1])) for m in lines]
    assert all(abs(a - edges[0][0]) <= 1 and abs(b - edges[0][1]) <= 1 for a, b in edges), edges
    inked = [set(np.flatnonzero(m.max(0)).tolist()) for m in lines]
    assert all(len(inked[0] ^ cols) <= 4 for cols in inked), [len(inked[0] ^ c) for c in inked]


@pytest.mark.slow
def test_the_word_by_word_reveal_of_a_hebrew_headline_starts_at_the_right(tmp_path: Path) -> None:
    # Four words on one line; the playful style reveals the title a word at a time.
    briefing = Briefing(
        title="נימבוס שומר על הקבצים",
        description="נימבוס שומר על כל הקבצים של הצוות שלכם מסונכרנים בכל מקום. נסו אותו בחינם.",
        duration=15,
        style="playful",
    )
    config = PipelineConfig(work_dir=tmp_path / "work", height=240, music=False)
    draft = make_draft(briefing, config)
    geo = geometry(briefing, config)
    title = next(
        b for b in layout_scene(draft.storyboard.scenes[0], geo.width, geo.height) if b.role == "title"
    )
    assert len(title.lines) == 1, title.lines
    video = render(draft, config, out=tmp_path / "he.mp4").path
    # Before the text, two of its four words (the fade-in over: 0.3 s + 0.2 s), and all of them.
    before, early, final = (frame(video, t).astype(float) for t in (0.1, 0.51, 1.0))
    b = title.box
    third = b.w // 3
    left, right = slice(b.x, b.x + third), slice(b.right - third, b.right)
    rows = slice(b.y, b.bottom)

    def differ(a: np.ndarray, c: np.ndarray, cols: slice) -> float:
        return round(float(np.abs(a[rows, cols] - c[rows, cols]).mean()), 1)

    # (Early against final; before against final: the scrim and all the words.)
    at_right = differ(early, final, right), differ(before, final, right)
    at_left = differ(early, final, left), differ(before, final, left)
    # The first words are read from the right: there the frame already looks as it will, while
    # the left end, where the last words go, has only its scrim.
    assert at_right[0] < 0.3 * at_right[1], (at_right, at_left)
    assert at_left[0] > 3 * at_right[0], (at_right, at_left)


def test_a_script_not_in_english_says_the_bundled_voice_is_english(tmp_path: Path) -> None:
    spanish = Briefing(
        title="Atlas 2.0", description="Atlas 2.0 ya está aquí. Pruébalo gratis hoy.", duration=15
    )
    english = Briefing(title="Atlas 2.0", description="Atlas 2.0 is here. Try it free today.", duration=15)
    config = PipelineConfig(work_dir=tmp_path / "work", height=240)

    def voice_lines(briefing: Briefing, cfg: PipelineConfig = config) -> list[str]:
        return [n for n in make_draft(briefing, cfg).notes if "OMA_PIPER_MODEL" in n]

    assert voice_lines(spanish) and "en_US-joe" in voice_lines(spanish)[0]
    assert voice_lines(english) == []
    chosen = config.model_copy(update={"piper_model": tmp_path / "es_ES-voice.onnx"})  # the team chose one
    assert voice_lines(spanish, chosen) == []
