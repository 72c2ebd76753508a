"""Frame geometry, fonts and text fitting, and the draft's contact sheet."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

MOTION = 0.08  # the canvas is this much larger than the frame, for a gentle pan


def font_path() -> Path:
    return Path(__file__).resolve().parent.parent / "assets" / "fonts" / "DejaVuSans-Bold.ttf"


@cache
def font(size: int, face: Path | None = None) -> ImageFont.FreeTypeFont:
    """The bundled font at `size`, or the TTF/OTF `face` (a brand's font)."""
    return ImageFont.truetype(str(face or font_path()), size)


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


BREAKS = "/.-_@?&=#"  # a long word (a URL, an address) breaks after one of these when it can


def _split_long(word: str, fnt: ImageFont.FreeTypeFont, max_w: int) -> list[str]:
    """Break a word wider than the box into pieces that fit (a 200-letter word must not overflow):
    after a URL's "/" or "." when the piece has one, else with a hyphen."""
    pieces, cur = [], ""
    for ch in word:
        if cur and fnt.getlength(cur + ch) > max_w:
            # After the last "/" if there is one ("releases/" + "2.0"), else the last of the rest.
            cut = (cur.rfind("/") + 1) or max(cur.rfind(b) for b in BREAKS) + 1
            if cut > 0:
                pieces.append(cur[:cut])
                cur = cur[cut:] + ch
                continue
            while len(cur) > 1 and fnt.getlength(cur + "-") > max_w:
                cur, ch = cur[:-1], cur[-1] + ch
            pieces.append(cur + "-" if cur[-1].isalpha() else cur)
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


def sheet_grid(n: int, thumb_w: int, thumb_h: int) -> tuple[int, int]:
    """(columns, rows) for n thumbnails: few empty cells, and a sheet about as wide as a screen."""
    best: tuple[float, int, int] | None = None
    for cols in range(1, min(n, 6) + 1):
        rows = -(-n // cols)
        aspect = cols * thumb_w / (rows * thumb_h)
        score = (rows * cols - n) * 1.5 + abs(math.log(aspect / (16 / 10)))
        if best is None or score < best[0]:
            best = (score, cols, rows)
    assert best is not None
    return best[1], best[2]


KIND_COLOURS = {
    "title": (255, 214, 0),
    "statement": (160, 200, 255),
    "stat": (120, 230, 160),
    "list": (255, 170, 120),
    "quote": (220, 170, 255),
    "closing": (255, 130, 160),
}


def contact_sheet(stills: list[Path], kinds: list[str], labels: list[str], geo: Geometry, out: Path) -> None:
    """One keyframe per scene, numbered and tagged with its kind, its text underneath; the grid
    adapts to the scene count."""
    thumb_w = 400 if geo.width >= geo.height else 240
    thumb_h = round(thumb_w * geo.height / geo.width)
    cols, rows = sheet_grid(max(1, len(stills)), thumb_w, thumb_h)
    label_h = 56
    gap = 16
    sheet = Image.new(
        "RGB", (gap + cols * (thumb_w + gap), gap + rows * (thumb_h + label_h + gap)), (24, 24, 28)
    )
    d = ImageDraw.Draw(sheet)
    for i, (path, kind, label) in enumerate(zip(stills, kinds, labels, strict=True)):
        frame = Image.open(path).convert("RGB").resize((thumb_w, thumb_h), Image.Resampling.LANCZOS)
        x = gap + (i % cols) * (thumb_w + gap)
        y = gap + (i // cols) * (thumb_h + label_h + gap)
        sheet.paste(frame, (x, y))
        d.rounded_rectangle([x + 8, y + 8, x + 52, y + 44], radius=8, fill=(255, 214, 0))
        d.text((x + 30, y + 26), str(i + 1), font=font(24), fill=(0, 0, 0), anchor="mm")
        tag = font(18)
        tw = int(tag.getlength(kind))
        d.rounded_rectangle(
            [x + 60, y + 12, x + 76 + tw, y + 40], radius=6, fill=KIND_COLOURS.get(kind, (200, 200, 200))
        )
        d.text((x + 68, y + 26), kind, font=tag, fill=(0, 0, 0), anchor="lm")
        fnt, lines = fit_text(label, thumb_w, label_h - 8, 22, max_lines=2)
        for k, line in enumerate(lines):
            d.text((x, y + thumb_h + 6 + k * int(fnt.size * 1.2)), line, font=fnt, fill=(235, 235, 240))
    sheet.save(out, format="PNG")
