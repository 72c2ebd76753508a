"""The layout engine: where each kind's text goes, sized so every box stays title-safe.

All positions are frame pixels. Text is fitted, never clipped: a block shrinks, wraps
(breaking a word too long for a line) and, as a last resort, ends in an ellipsis, so its
box (text plus scrim padding) always lies inside the title-safe 90% of the frame and
above the captions.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from pipeline.models import ScenePlan
from pipeline.render import captions as cap
from pipeline.render.stills import font, wrap

LINE = 1.2  # line step as a multiple of the font size (DejaVu's ascent + descent is 1.16)
SAFE = 0.05  # title-safe margin on each side: the middle 90% of the frame
PAD = 0.35  # scrim padding around text, as a multiple of the font size
MIN_SIZE = 10


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
    indent: int = 0  # room at the box's left for a bullet (list items)

    @property
    def pad(self) -> int:
        return round(self.size * PAD)

    def line_width(self, line: str) -> int:
        return round(font(self.size).getlength(line))


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


def safe_area(width: int, height: int) -> Rect:
    mx, my = round(width * SAFE), round(height * SAFE)
    return Rect(mx, my, width - 2 * mx, height - 2 * my)


def content_area(width: int, height: int) -> Rect:
    """The title-safe area less the band the two caption lines use."""
    safe = safe_area(width, height)
    size, margin, _ = cap.layout(width, height)
    captions_top = height - margin - round(2 * size * 1.3) - round(height * 0.02)
    return Rect(safe.x, safe.y, safe.w, min(safe.bottom, captions_top) - safe.y)


def _ellipsize(line: str, size: int, max_w: int) -> str:
    fnt = font(size)
    line = line.rstrip(" ,;:.")
    while line and fnt.getlength(line + "…") > max_w:
        line = line[:-1].rstrip()
    return line + "…"


def _fit(spec: Spec, size: int, max_w: int, max_lines: int) -> tuple[int, list[str]]:
    """(size, lines): the largest size <= `size` at which the text wraps into max_lines."""
    while True:
        room = max_w - round(size * spec.indent)
        lines = wrap(spec.text, font(size), max(1, room))
        if len(lines) <= max_lines:
            return size, lines
        if size <= MIN_SIZE:
            return size, [*lines[: max_lines - 1], _ellipsize(lines[max_lines - 1], size, room)]
        size = max(MIN_SIZE, int(size * 0.92))


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
    specs: list[Spec], area: Rect, short: int, align: str = "center", valign: str = "center"
) -> list[Block]:
    """Fit blocks one under another inside `area`, shrinking them together until they fit."""
    specs = [s for s in specs if s.text.strip()]
    scale = 1.0
    limits = [s.max_lines for s in specs]
    while True:
        fitted = []
        for spec, limit in zip(specs, limits, strict=True):
            max_w = round(area.w * spec.width) - 2 * round(spec.size * short * scale * PAD)
            start = max(MIN_SIZE, round(spec.size * short * scale))
            fitted.append(_fit(spec, start, max(1, max_w), limit))
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
            specs, limits = specs[:-1], limits[:-1]
    y = area.y if valign == "top" else area.y + (area.h - total) // 2
    y = _even(y, total, area.y, area.bottom)
    blocks = []
    for spec, (size, lines), gap in zip(specs, fitted, gaps, strict=True):
        y += gap
        pad = round(size * PAD)
        indent = round(size * spec.indent)
        text_w = max((round(font(size).getlength(line)) for line in lines), default=0) + indent
        w = min(area.w, text_w + 2 * pad)
        h = _height(size, len(lines))
        x = area.x if align == "left" else area.x + (area.w - w) // 2
        x = _even(x, w, area.x, area.right)
        blocks.append(Block(spec.role, tuple(lines), size, Rect(x, y, w, h), align, indent))
        y += h
    return blocks


def _landscape(width: int, height: int) -> bool:
    return width > height


def layout_scene(plan: ScenePlan, width: int, height: int) -> list[Block]:
    """The text blocks of one scene, by kind, in frame pixels."""
    area = content_area(width, height)
    short = min(width, height)
    kind = plan.kind
    if kind == "title":
        specs = [Spec("title", plan.headline, 0.13, 3), Spec("subtitle", plan.subtitle, 0.05, 2, 0.9, 0.5)]
        return stack(specs, area, short)
    if kind == "stat":
        figure = f"{plan.figure} {plan.unit}".strip() or plan.headline
        specs = [
            Spec("figure", figure, 0.26 if width > height else 0.34, 1),
            Spec("label", plan.label or plan.headline, 0.06, 2, 0.9, 0.2),
        ]
        return stack(specs, area, short)
    if kind == "list":
        specs = [Spec("heading", plan.headline, 0.05, 2, 1.0)]
        specs += [Spec("item", item, 0.066, 2, 1.0, 0.35, 1.1) for item in plan.items[:4]]
        return stack(specs, area, short, align="left")
    if kind == "quote":
        specs = [
            Spec("quote", f"“{plan.quote.strip(chr(34) + '“”')}”", 0.085, 5),
            Spec("attribution", f"— {plan.attribution}" if plan.attribution else "", 0.045, 1, 0.9, 0.5),
        ]
        return stack(specs, area, short)
    if kind == "closing":
        specs = [Spec("cta", plan.headline, 0.095, 3), Spec("link", plan.link, 0.055, 2, 0.9, 0.6)]
        return stack(specs, area, short)
    size = 0.11 if _landscape(width, height) else 0.095
    left = plan.layout == "left"
    blocks = stack(
        [Spec("headline", plan.headline, size, 3, 0.72 if left else 1.0)],
        area,
        short,
        align="left" if left else "center",
        valign="top" if plan.layout == "top" else "center",
    )
    if left:  # the accent bar sits at the box's left edge, inside the safe area
        bar = max(4, short // 70)
        blocks = [replace(b, box=Rect(b.box.x + 2 * bar, b.box.y, b.box.w, b.box.h)) for b in blocks]
    return blocks
