"""The layout engine: where each kind's text goes, sized so every box stays title-safe.

All positions are frame pixels. Text is fitted, never clipped: a block shrinks, wraps
(breaking a word too long for a line) and, as a last resort, ends in an ellipsis, so its
box (text plus scrim padding) always lies inside the title-safe 90% of the frame and
above the captions.
"""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path

from fontTools.ttLib import TTFont, TTLibError

from pipeline.models import ScenePlan
from pipeline.render import captions as cap
from pipeline.render.stills import font, wrap
from pipeline.text import reads_right_to_left, shown_link

LINE = 1.2  # line step as a multiple of the font size (DejaVu's ascent + descent is 1.16)
SAFE = 0.05  # title-safe margin on each side: the middle 90% of the frame
PAD = 0.35  # scrim padding around text, as a multiple of the font size
MIN_SIZE = 10
WORD_SHRINK = 0.55  # a block shrinks to this share of its size before it breaks a long word


@dataclass(frozen=True)
class Rect:
    x: int
    y: int
    w: int
    h: int

    @property
    def right(self) -> int:
        return self.x + self.w

    @property
    def bottom(self) -> int:
        return self.y + self.h

    def contains(self, other: Rect) -> bool:
        return (
            self.x <= other.x
            and self.y <= other.y
            and other.right <= self.right
            and other.bottom <= self.bottom
        )


@dataclass(frozen=True)
class Block:
    """A fitted piece of text: its lines at `size`, and its box (text + padding) in the frame."""

    role: str
    lines: tuple[str, ...]
    size: int
    box: Rect
    align: str = "center"
    indent: int = 0  # room for a bullet where the lines start (list items): left, or right when align is
    # "right" (right-to-left text in a kind that is otherwise left-aligned)
    face: Path | None = None  # the font file; None is the bundled one

    @property
    def pad(self) -> int:
        return round(self.size * PAD)

    def line_width(self, line: str) -> int:
        return round(font(self.size, self.face).getlength(line))


@dataclass(frozen=True)
class Room:
    """What else shares the frame with a scene's text (a brand's choices; the default is none).

    `captions` is the caption look (where the band goes), `corner` the height of a corner
    watermark kept clear at the top (or the bottom, when captions are at the top), and
    `logo` the (width, height) of a logo that title and closing scenes show above their text.
    """

    face: Path | None = None
    captions: cap.CaptionLook = field(default_factory=cap.CaptionLook)
    corner: int = 0
    logo: tuple[int, int] | None = None
    picture: int = 0  # rows at the top of the content area kept for a framed picture or clip

    def corner_at_top(self) -> bool:
        return self.captions.position != "top"


@dataclass(frozen=True)
class Spec:
    """What a block asks for: text, starting size (fraction of the short side), lines, width."""

    role: str
    text: str
    size: float
    max_lines: int
    width: float = 1.0  # fraction of the content area's width
    gap: float = 0.0  # space above the block, as a multiple of its font size
    indent: float = 0.0  # bullet room, as a multiple of its font size


@lru_cache(maxsize=16)
def _characters(face: Path) -> frozenset[int]:
    """The code points a font file has glyphs for (its best character map)."""
    try:
        with TTFont(face, lazy=True) as tt:
            return frozenset(tt.getBestCmap() or ())
    except (OSError, TTLibError, KeyError, AssertionError):  # a font Pillow loads but fontTools cannot read
        return frozenset()


def face_for(text: str, face: Path | None) -> Path | None:
    """`face` when it has a glyph for every character of `text`, else None (the bundled font,
    which covers Latin, Greek, Cyrillic, Hebrew and Arabic): a brand font made for Latin text
    draws no boxes for a Hebrew headline."""
    if face is None:
        return None
    have = _characters(face)
    needed = {ord(c) for c in text if not c.isspace() and unicodedata.category(c)[0] != "C"}
    return face if needed <= have else None


def safe_area(width: int, height: int) -> Rect:
    mx, my = round(width * SAFE), round(height * SAFE)
    return Rect(mx, my, width - 2 * mx, height - 2 * my)


def content_area(width: int, height: int, room: Room | None = None, corner: bool = False) -> Rect:
    """The title-safe area less the band the two caption lines use (above the captions, or
    below them when they are at the top), less a corner watermark's row when `corner`."""
    room = room or Room()
    safe = safe_area(width, height)
    top, bottom = cap.band(width, height, room.captions)
    gap = round(height * 0.02)
    if room.captions.position == "top":
        y0, y1 = max(safe.y, bottom + gap), safe.bottom
    else:
        y0, y1 = safe.y, min(safe.bottom, top - gap)
    if corner and room.corner:
        if room.corner_at_top():
            y0 = max(y0, safe.y + room.corner + gap)
        else:
            y1 = min(y1, safe.bottom - room.corner - gap)
    if room.picture:
        y0 = min(y1, y0 + room.picture + gap)
    return Rect(safe.x, y0, safe.w, max(0, y1 - y0))


def _ellipsize(line: str, size: int, max_w: int, face: Path | None = None) -> str:
    fnt = font(size, face)
    line = line.rstrip(" ,;:.")
    while line and fnt.getlength(line + "…") > max_w:
        line = line[:-1].rstrip()
    return line + "…"


def _fit(
    spec: Spec, size: int, max_w: int, max_lines: int, face: Path | None = None
) -> tuple[int, list[str]]:
    """(size, lines): the largest size <= `size` at which the text wraps into max_lines, with no
    word broken unless it is still too wide at WORD_SHRINK of `size`."""
    floor = max(MIN_SIZE, round(size * WORD_SHRINK))
    while True:
        room = max_w - round(size * spec.indent)
        fnt = font(size, face)
        lines = wrap(spec.text, fnt, max(1, room))
        broken = size > floor and any(fnt.getlength(w) > room for w in spec.text.split())
        if len(lines) <= max_lines and not broken:
            return size, _balanced(spec.text, fnt, room, lines)
        if size <= MIN_SIZE:
            return size, [*lines[: max_lines - 1], _ellipsize(lines[max_lines - 1], size, room, face)]
        size = max(MIN_SIZE, int(size * 0.92))


def _balanced(text: str, fnt, room: int, lines: list[str]) -> list[str]:
    """The same number of lines at the narrowest width that keeps it, so the lines come out of
    about equal length ("Sync is twice as / fast" becomes "Sync is / twice as fast")."""
    if len(lines) < 2:
        return lines
    lo = min(room, math.ceil(max(fnt.getlength(w) for w in text.split())))  # no word is broken
    hi = room
    while lo < hi:  # the narrowest width that still wraps into len(lines) lines
        mid = (lo + hi) // 2
        if len(wrap(text, fnt, mid)) <= len(lines):
            hi = mid
        else:
            lo = mid + 1
    return wrap(text, fnt, hi)


def _height(size: int, lines: int) -> int:
    h = round(lines * size * LINE) + 2 * round(size * PAD)
    return h + h % 2


def _even(v: int, size: int, lo: int, hi: int) -> int:
    """v moved by a pixel to an even value when that stays in [lo, hi - size]: ffmpeg overlays
    4:2:0 video at even positions, so an odd one would land a pixel off."""
    if v % 2 == 0:
        return v
    if v + 1 + size <= hi:
        return v + 1
    return v - 1 if v - 1 >= lo else v


def stack(
    specs: list[Spec],
    area: Rect,
    short: int,
    align: str = "center",
    valign: str = "center",
    face: Path | None = None,
) -> list[Block]:
    """Fit blocks one under another inside `area`, shrinking them together until they fit;
    `align` is center, left, or right (left-aligned kinds in a right-to-left script)."""
    specs = [s for s in specs if s.text.strip()]
    faces = [face_for(s.text, face) for s in specs]
    scale = 1.0
    limits = [s.max_lines for s in specs]
    while True:
        fitted = []
        for spec, limit, each in zip(specs, limits, faces, strict=True):
            max_w = round(area.w * spec.width) - 2 * round(spec.size * short * scale * PAD)
            start = max(MIN_SIZE, round(spec.size * short * scale))
            fitted.append(_fit(spec, start, max(1, max_w), limit, each))
        gaps = [
            round(spec.gap * size) // 2 * 2 if i else 0
            for i, (spec, (size, _)) in enumerate(zip(specs, fitted, strict=True))
        ]
        total = sum(_height(size, len(lines)) for size, lines in fitted) + sum(gaps)
        if total <= area.h or not specs:
            break
        if any(size > MIN_SIZE for size, _ in fitted) and scale > 0.05:
            scale *= 0.9
            continue
        # Everything is at the smallest size: take lines away, the longest block first, then blocks.
        i = max(range(len(specs)), key=lambda k: limits[k])
        if limits[i] > 1:
            limits[i] -= 1
        else:
            specs, limits, faces = specs[:-1], limits[:-1], faces[:-1]
    y = area.y if valign == "top" else area.y + (area.h - total) // 2
    y = _even(y, total, area.y, area.bottom)
    blocks = []
    for spec, (size, lines), gap, each in zip(specs, fitted, gaps, faces, strict=True):
        y += gap
        pad = round(size * PAD)
        indent = round(size * spec.indent)
        text_w = max((round(font(size, each).getlength(line)) for line in lines), default=0) + indent
        w = min(area.w, text_w + 2 * pad)
        h = _height(size, len(lines))
        x = {"left": area.x, "right": area.right - w}.get(align, area.x + (area.w - w) // 2)
        x = _even(x, w, area.x, area.right)
        blocks.append(Block(spec.role, tuple(lines), size, Rect(x, y, w, h), align, indent, each))
        y += h
    return blocks


def _landscape(width: int, height: int) -> bool:
    return width > height


LOGO_HEIGHT = 0.2  # a title or closing logo's largest height, as a fraction of the short side
LOGO_WIDTH = 0.5  # and its largest width, as a fraction of the content area's
LOGO_MARGIN = 0.25  # clear space kept around it, as a fraction of its height


def logo_size(logo: tuple[int, int], area: Rect, short: int) -> tuple[int, int]:
    """The logo's (width, height) on screen: its aspect kept, at most twice its own size, even."""
    w, h = logo
    # At most a third of the area's height, so a short area (captions in the middle) keeps room for text.
    f = min(LOGO_HEIGHT * short / h, area.h * 0.3 / h, LOGO_WIDTH * area.w / w, 2.0)
    return max(2, round(w * f) // 2 * 2), max(2, round(h * f) // 2 * 2)


def _with_logo(blocks_in, area: Rect, short: int, logo: tuple[int, int]) -> list[Block]:
    """A logo block above the text, its clear margin kept, the whole group centred in `area`."""
    lw, lh = logo_size(logo, area, short)
    margin = max(4, round(lh * LOGO_MARGIN)) // 2 * 2
    below = Rect(area.x, area.y + lh + 2 * margin, area.w, max(0, area.h - lh - 2 * margin))
    blocks = blocks_in(below, "top")
    text_h = blocks[-1].box.bottom - below.y if blocks else 0
    shift = max(0, (area.h - (lh + 2 * margin + text_h)) // 2) // 2 * 2
    box = Rect(area.x + (area.w - lw) // 2 // 2 * 2, area.y + margin + shift, lw, lh)
    logo_block = Block("logo", (), lh, box, indent=margin)
    return [logo_block, *(replace(b, box=replace(b.box, y=b.box.y + shift)) for b in blocks)]


def layout_scene(plan: ScenePlan, width: int, height: int, room: Room | None = None) -> list[Block]:
    """The text blocks of one scene, by kind, in frame pixels (with a brand's `room`: its font,
    its caption band, a watermark's corner, and a "logo" block on title and closing scenes)."""
    room = room or Room()
    kind = plan.kind
    framed = kind in ("title", "closing")
    area = content_area(width, height, room, corner=not framed)
    short = min(width, height)
    face = room.face
    if framed and room.logo is not None:
        plain = replace(room, logo=None)

        def text(sub: Rect, valign: str) -> list[Block]:
            return _framed_text(plan, sub, short, plain, valign)

        return _with_logo(text, area, short, room.logo)
    if framed:
        return _framed_text(plan, area, short, room)
    if kind == "stat":
        figure = f"{plan.figure} {plan.unit}".strip() or plan.headline
        specs = [
            Spec("figure", figure, 0.26 if width > height else 0.34, 1),
            Spec("label", plan.label or plan.headline, 0.06, 2, 0.9, 0.2),
        ]
        return stack(specs, area, short, face=face)
    # Kinds aligned to the left are aligned to the right in a right-to-left script.
    side = "right" if reads_right_to_left(" ".join([plan.headline, *plan.items])) else "left"
    if kind == "list":
        # The heading leads (larger than the items): it holds the screen until the first item is said.
        specs = [Spec("heading", plan.headline, 0.075, 2, 1.0)]
        specs += [Spec("item", item, 0.06, 2, 1.0, 0.4, 1.1) for item in plan.items[:4]]
        return stack(specs, area, short, align=side, face=face)
    if kind == "quote":
        specs = [
            Spec("quote", f"“{plan.quote.strip(chr(34) + '“”')}”", 0.085, 5),
            Spec("attribution", f"— {plan.attribution}" if plan.attribution else "", 0.045, 1, 0.9, 0.5),
        ]
        return stack(specs, area, short, face=face)
    size = 0.11 if _landscape(width, height) else 0.095
    left = plan.layout == "left"
    blocks = stack(
        [Spec("headline", plan.headline, size, 3, 0.72 if left else 1.0)],
        area,
        short,
        align=side if left else "center",
        valign="top" if plan.layout == "top" else "center",
        face=face,
    )
    if left:  # the accent bar sits at the box's left (right) edge, inside the safe area
        bar = 2 * max(4, short // 70) * (1 if side == "left" else -1)
        blocks = [replace(b, box=Rect(b.box.x + bar, b.box.y, b.box.w, b.box.h)) for b in blocks]
    return blocks


def _framed_text(plan: ScenePlan, area: Rect, short: int, room: Room, valign: str = "center") -> list[Block]:
    """The title scene's title and subtitle, or the closing's call to action and link."""
    if plan.kind == "title":
        specs = [Spec("title", plan.headline, 0.13, 3), Spec("subtitle", plan.subtitle, 0.05, 2, 0.9, 0.5)]
    else:
        link = Spec("link", shown_link(plan.link), 0.055, 2, 0.9, 0.6)
        specs = [Spec("cta", plan.headline, 0.095, 3), link]
    return stack(specs, area, short, valign=valign, face=room.face)
