"""Scene stills (art + headline, baked once with Pillow) and the draft's contact sheet."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from pipeline.briefing import Style
from pipeline.render.procedural import palette_colors

MOTION = 0.08  # the canvas is this much larger than the frame, for a gentle pan


def font_path() -> Path:
    return Path(__file__).resolve().parent.parent / "assets" / "fonts" / "DejaVuSans-Bold.ttf"


@cache
def font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(font_path()), size)


@dataclass(frozen=True)
class Geometry:
    """Frame and canvas sizes and where text may go so the pan never cuts it."""

    width: int
    height: int

    @property
    def canvas(self) -> tuple[int, int]:
        return (_even(self.width * (1 + MOTION)), _even(self.height * (1 + MOTION)))

    @property
    def slack(self) -> tuple[int, int]:
        cw, ch = self.canvas
        return cw - self.width, ch - self.height

    def headline_box(self) -> tuple[int, int, int, int]:
        """(left, top, right, bottom) in canvas pixels, visible at every pan offset, above captions."""
        dx, dy = self.slack
        pad_x, pad_y = int(self.width * 0.06), int(self.height * 0.06)
        return (dx + pad_x, dy + pad_y, self.width - pad_x, self.height - int(self.height * 0.30))


def _even(x: float) -> int:
    return round(x / 2) * 2


def _split_long(word: str, fnt: ImageFont.FreeTypeFont, max_w: int) -> list[str]:
    """Break a word wider than the box into pieces that fit (a 200-letter word must not overflow)."""
    pieces, cur = [], ""
    for ch in word:
        if cur and fnt.getlength(cur + ch) > max_w:
            pieces.append(cur)
            cur = ch
        else:
            cur += ch
    return [*pieces, cur] if cur else pieces


def wrap(text: str, fnt: ImageFont.FreeTypeFont, max_w: int) -> list[str]:
    lines: list[str] = []
    cur = ""
    for word in text.split():
        for part in _split_long(word, fnt, max_w) if fnt.getlength(word) > max_w else [word]:
            trial = f"{cur} {part}".strip()
            if cur and fnt.getlength(trial) > max_w:
                lines.append(cur)
                cur = part
            else:
                cur = trial
    return [*lines, cur] if cur else lines


def fit_text(text: str, max_w: int, max_h: int, start: int, max_lines: int = 3):
    """The largest font (from `start` down) at which `text` wraps into the box; (font, lines)."""
    size = start
    while True:
        fnt = font(size)
        lines = wrap(text, fnt, max_w)
        height = len(lines) * size * 1.2
        if (len(lines) <= max_lines and height <= max_h) or size <= 12:
            return fnt, lines[: max_lines if size > 12 else len(lines)]
        size = max(12, int(size * 0.9))


def compose_still(
    art: Path, headline: str, layout: str, palette: str, style: Style, geo: Geometry
) -> Image.Image:
    """The scene's canvas: art with the headline laid out in the always-visible box."""
    img = Image.open(art).convert("RGBA")
    if img.size != geo.canvas:
        img = img.resize(geo.canvas, Image.Resampling.LANCZOS)
    _c0, _c1, accent, _a2, text_rgb = palette_colors(palette, style)
    left, top, right, bottom = geo.headline_box()
    box_w, box_h = right - left, bottom - top
    start = int(min(geo.width, geo.height) * (0.11 if geo.width > geo.height else 0.095))
    fnt, lines = fit_text(headline, int(box_w * (0.7 if layout == "left" else 0.92)), box_h, start)
    size = fnt.size
    line_h = int(size * 1.2)
    block_h = line_h * len(lines)
    widths = [int(fnt.getlength(line)) for line in lines]
    block_w = max(widths, default=0)
    y0 = top if layout == "top" else top + (box_h - block_h) // 2
    x_left = left if layout == "left" else left + (box_w - block_w) // 2

    dark_text = sum(text_rgb) < 300
    scrim_rgb = (255, 255, 255) if dark_text else (0, 0, 0)
    overlay = Image.new("RGBA", img.size, (0, 0, 0, 0))
    d = ImageDraw.Draw(overlay)
    pad = int(size * 0.45)
    d.rounded_rectangle(
        [x_left - pad, y0 - pad, x_left + block_w + pad, y0 + block_h + pad // 2],
        radius=pad,
        fill=(*scrim_rgb, 110),
    )
    if layout == "left":
        bar = max(4, size // 10)
        d.rectangle(
            [x_left - pad - bar * 2, y0 - pad, x_left - pad - bar, y0 + block_h + pad // 2],
            fill=(*accent, 255),
        )
    shadow = (0, 0, 0, 140) if not dark_text else (255, 255, 255, 120)
    off = max(2, size // 24)
    for i, (line, lw) in enumerate(zip(lines, widths, strict=True)):
        x = x_left if layout == "left" else x_left + (block_w - lw) // 2
        y = y0 + i * line_h
        d.text((x + off, y + off), line, font=fnt, fill=shadow)
        d.text((x, y), line, font=fnt, fill=(*text_rgb, 255))
    img.alpha_composite(overlay)
    return img.convert("RGB")


def contact_sheet(stills: list[Path], headlines: list[str], geo: Geometry, out: Path) -> None:
    """One keyframe per scene, numbered, with its headline underneath, in a grid."""
    cols = 3 if geo.width >= geo.height else 4
    thumb_w = 400 if geo.width >= geo.height else 240
    thumb_h = round(thumb_w * geo.height / geo.width)
    label_h = 56
    gap = 16
    rows = (len(stills) + cols - 1) // cols
    sheet = Image.new(
        "RGB", (gap + cols * (thumb_w + gap), gap + rows * (thumb_h + label_h + gap)), (24, 24, 28)
    )
    d = ImageDraw.Draw(sheet)
    dx, dy = geo.slack
    for i, (path, headline) in enumerate(zip(stills, headlines, strict=True)):
        frame = Image.open(path).crop((dx // 2, dy // 2, dx // 2 + geo.width, dy // 2 + geo.height))
        frame = frame.resize((thumb_w, thumb_h), Image.Resampling.LANCZOS)
        x = gap + (i % cols) * (thumb_w + gap)
        y = gap + (i // cols) * (thumb_h + label_h + gap)
        sheet.paste(frame, (x, y))
        d.rounded_rectangle([x + 8, y + 8, x + 52, y + 44], radius=8, fill=(255, 214, 0))
        d.text((x + 30, y + 26), str(i + 1), font=font(24), fill=(0, 0, 0), anchor="mm")
        fnt, lines = fit_text(headline, thumb_w, label_h - 8, 22, max_lines=2)
        for k, line in enumerate(lines):
            d.text((x, y + thumb_h + 6 + k * int(fnt.size * 1.2)), line, font=fnt, fill=(235, 235, 240))
    sheet.save(out, format="PNG")
