"""A scene's own picture or clip: filling the frame, or framed on the scene's background.

A file whose aspect is close to the video's fills the frame (a picture is cover-fitted to
the canvas, so it pans like generated art). One far from it (a wide screenshot in a 9:16
video) sits framed, whole, on the scene's own background, dimmed so the picture leads, in
the room the scene's text leaves below it. Clips are placed the same way by the editor.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageOps

from pipeline.media import MediaItem
from pipeline.models import ScenePlan
from pipeline.render.layout import Rect, Room, content_area
from pipeline.render.stills import Geometry

VERSION = "media-2"
FILL_RATIO = 1.4  # aspects within this factor of the video's fill it (4:3 in 16:9 does)
# Stock is shot around a centred subject and stands behind the words: a 16:9 clip fills a 1:1
# frame by its centre. The team's own files (screenshots) are shown whole.
STOCK_FILL_RATIO = 1.8
DIM = 0.45  # how much a framed picture's background is darkened
PICTURE_SHARE = 0.55  # a framed picture takes at most this share of the content area's height


def fills(item: MediaItem, geo: Geometry) -> bool:
    """Whether `item` fills the frame (else it sits framed, whole)."""
    a, v = item.width / max(1, item.height), geo.width / geo.height
    return max(a / v, v / a) <= (STOCK_FILL_RATIO if item.credit else FILL_RATIO)


def _even(v: float) -> int:
    return max(2, int(v) // 2 * 2)


def picture_box(plan: ScenePlan, item: MediaItem, geo: Geometry, room: Room | None = None) -> Rect:
    """Where a framed picture goes in the frame: at the top of the content area, whole, at most
    PICTURE_SHARE of its height; the scene's text is laid out in the rows below it."""
    area = content_area(geo.width, geo.height, room, corner=plan.kind not in ("title", "closing"))
    scale = min(area.w / item.width, area.h * PICTURE_SHARE / item.height)
    w, h = _even(item.width * scale), _even(item.height * scale)
    return Rect((area.x + (area.w - w) // 2) // 2 * 2, area.y // 2 * 2, w, h)


def picture_rows(plan: ScenePlan, item: MediaItem | None, geo: Geometry, room: Room | None = None) -> int:
    """Rows the scene's text leaves to its framed picture (0 when the picture fills the frame)."""
    if item is None or fills(item, geo):
        return 0
    return picture_box(plan, item, geo, room).h


def _framed(picture: Image.Image, background: Image.Image, box: Rect, geo: Geometry) -> Image.Image:
    """The picture at `box` (frame pixels, mid-pan) on the dimmed background, with a soft shadow."""
    dx, dy = geo.slack
    canvas = dimmed(background)
    pic = picture.convert("RGB").resize((box.w, box.h), Image.Resampling.LANCZOS)
    x, y = box.x + dx // 2, box.y + dy // 2
    radius = max(2, min(box.w, box.h) // 40)
    shadow = Image.new("L", canvas.size, 0)
    off = max(2, geo.height // 120)
    ImageDraw.Draw(shadow).rounded_rectangle(
        [x + off, y + off, x + box.w + off, y + box.h + off], radius=radius, fill=150
    )
    shadow = shadow.filter(ImageFilter.GaussianBlur(max(2, geo.height // 80)))
    canvas.paste(Image.new("RGB", canvas.size, (0, 0, 0)), (0, 0), shadow)
    mask = Image.new("L", (box.w, box.h), 0)
    ImageDraw.Draw(mask).rounded_rectangle([0, 0, box.w - 1, box.h - 1], radius=radius, fill=255)
    canvas.paste(pic, (x, y), mask)
    return canvas


def dimmed(background: Image.Image) -> Image.Image:
    """A framed clip's background: the scene's art, dimmed as under a framed picture."""
    rgb = background.convert("RGB")
    return Image.blend(rgb, Image.new("RGB", rgb.size, (0, 0, 0)), DIM)


def picture_canvas(
    picture: Image.Image, item: MediaItem, plan: ScenePlan, background: Image.Image, geo: Geometry, room: Room
) -> Image.Image:
    """The scene's background at canvas size made from its picture (or a clip's still)."""
    if fills(item, geo):
        return ImageOps.fit(picture.convert("RGB"), geo.canvas, Image.Resampling.LANCZOS)
    return _framed(picture, background, picture_box(plan, item, geo, room), geo)


@dataclass(frozen=True)
class ClipSource:
    """A scene's clip as the editor plays it: filling the frame, or scaled into `box` (frame
    pixels) over the panned background. Its time 0 is where the scene's span begins."""

    file: Path
    key: str
    duration: float
    box: Rect | None = None  # None: it fills the frame

    def id(self) -> tuple:
        b = self.box
        return (VERSION, self.key, (b.x, b.y, b.w, b.h) if b else None)


def clip_source(item: MediaItem, plan: ScenePlan, geo: Geometry, room: Room, work_root: Path) -> ClipSource:
    box = None if fills(item, geo) else picture_box(plan, item, geo, room)
    return ClipSource(item.path(work_root), item.key, item.duration, box)
