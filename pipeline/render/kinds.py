"""One render function per scene kind: the scene value becomes pre-baked text layers.

A layer is an RGBA image (one state, or several stacked vertically: a count-up, a
word-by-word reveal, a zoom) with where it sits, when it enters and how it moves. The
editor turns layers into ffmpeg overlays with time expressions, so no frame is drawn in
Python. Colours come from the palette and are adjusted by `contrast.legible` over the
part of the background the text will cover as it pans.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from PIL import Image, ImageDraw

from pipeline.briefing import Style
from pipeline.models import ScenePlan, WordTiming
from pipeline.render.branding import Branding, logo_layer_image
from pipeline.render.contrast import BLACK, Legible, legible
from pipeline.render.layout import LINE, Block, layout_scene, safe_area
from pipeline.render.procedural import palette_colors
from pipeline.render.stills import Geometry, font
from pipeline.text import THOUSANDS, headline_from, reads_right_to_left, sentences

VERSION = "kinds-6"
ENTER = 0.3  # seconds into a scene before its text enters: after the crossfade's first half
ENTRANCE = 0.5  # seconds an entrance takes
STAGGER = 0.25  # seconds between a scene's successive blocks
LEAD = 0.15  # seconds text lands before the narrator says it
LATE_ENOUGH = 1.0  # a headline cued sooner than this after ENTER enters with the scene
FADE_STEPS = 3  # states a line steps through as it fades out
WORD_STEP = 0.12  # seconds between words of a word-by-word reveal
MAX_WORD_STATES = 8
SCALE_STEPS = (0.84, 0.88, 0.92, 0.95, 0.975, 1.0)
COUNT_STEPS = 12

STYLE_MOTION: dict[Style, str] = {
    Style.CORPORATE: "slide",
    Style.MODERN: "fade-up",
    Style.CINEMATIC: "scale",
    Style.MINIMAL: "fade-up",
    Style.PLAYFUL: "words",
}
# Statements keep a scrim as their look; other kinds get one only when contrast needs it.
MIN_SCRIM = {"headline": 0.4}
# Playful art is confetti and zigzags: through a light scrim they cross the letters.
BUSY_SCRIM = {Style.PLAYFUL: 0.6}
# Over a moving clip, frames between the sampled stills may be brighter or busier.
CLIP_SCRIM = 0.3


@dataclass(frozen=True, eq=False)
class Layer:
    """Pre-baked text at (x, y) in the frame, entering at `start` s into the scene.

    It fades in over `duration` while moving from (x + dx, y + dy) to (x, y), and shows
    state k (of the image's equal-height stacked states) from `state_times[k - 1]` on.
    """

    role: str
    image: Image.Image
    x: int
    y: int
    start: float
    duration: float = ENTRANCE
    dx: int = 0
    dy: int = 0
    state_times: tuple[float, ...] = ()

    @property
    def states(self) -> int:
        return len(self.state_times) + 1

    @property
    def width(self) -> int:
        return self.image.width

    @property
    def height(self) -> int:
        return self.image.height // self.states

    def final(self) -> Image.Image:
        """The state the layer settles in (for keyframes)."""
        h = self.height
        return self.image.crop((0, h * (self.states - 1), self.width, h * self.states))


@dataclass(frozen=True)
class Look:
    """What a scene is drawn with besides its plan: frame, style, background and spoken words."""

    geo: Geometry
    style: Style
    art: Image.Image  # the background at canvas size (it pans under the text)
    words: tuple[WordTiming, ...] = ()  # narration words, seconds from the scene's start
    branding: Branding = field(default_factory=Branding)  # a brand kit's colours, font and logo
    extra: tuple[Image.Image, ...] = ()  # more backgrounds the text must read over (a clip's stills)
    picture: int = 0  # rows at the top kept for a framed picture (see render.media)

    def behind(self, block: Block):
        """The background pixels that pass under `block` at any point of the pan (and of a clip)."""
        import numpy as np

        dx, dy = self.geo.slack
        b = block.box
        box = (b.x, b.y, b.right + dx, b.bottom + dy)
        regions = [np.asarray(img.crop(box).convert("RGB")) for img in (self.art, *self.extra)]
        return np.concatenate([r.reshape(-1, 3) for r in regions])


def motion_of(plan: ScenePlan, style: Style) -> str:
    return plan.motion or STYLE_MOTION[style]


# -- drawing -----------------------------------------------------------------------------------


def _colours(block: Block, look: Look, want: tuple[int, int, int], role: str) -> Legible:
    least = max(MIN_SCRIM.get(role, 0.0), CLIP_SCRIM if look.extra else 0.0, BUSY_SCRIM.get(look.style, 0.0))
    return legible(want, look.behind(block), min_alpha=least)


def _line_x(block: Block, line: str) -> int:
    if block.align == "left":
        return block.pad + block.indent
    if block.align == "right":
        return block.box.w - block.pad - block.indent - block.line_width(line)
    inner = block.box.w - 2 * block.pad
    return block.pad + (inner - block.line_width(line)) // 2


def _draw(
    block: Block, ink: Legible, words: int | None = None, text: tuple[str, ...] | None = None, bullet=None
) -> Image.Image:
    """The block's box as RGBA: scrim, optional bullet, and its text (the first `words` words)."""
    w, h = block.box.w, block.box.h
    img = Image.new("RGBA", (w, h), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    if ink.scrim_alpha > 0:
        d.rounded_rectangle(
            [0, 0, w - 1, h - 1], radius=block.pad, fill=(*ink.scrim, round(255 * ink.scrim_alpha))
        )
    fnt = font(block.size, block.face)
    lines = text or block.lines
    if bullet is not None:
        r = max(2, block.size // 5)
        cy = block.pad + round(block.size * 0.62)
        cx = block.pad + round(block.size * 0.4)
        cx = w - cx if block.align == "right" else cx
        d.ellipse([cx - r, cy - r, cx + r, cy + r], fill=(*bullet, 255))
    left = words if words is not None else 10**6
    shadow = (0, 0, 0, 110) if ink.scrim == BLACK else (255, 255, 255, 110)
    off = max(1, block.size // 28)
    for i, line in enumerate(lines):
        if left <= 0:
            break
        parts = line.split(" ")
        shown = " ".join(parts[:left])
        left -= len(parts)
        x, y = _line_x(block, line), block.pad + round(i * block.size * LINE)
        if shown != line and reads_right_to_left(line):
            # A right-to-left line is read from its right end: its first words stand there.
            x += block.line_width(line) - round(fnt.getlength(shown))
        d.text((x + off, y + off), shown, font=fnt, fill=shadow)
        d.text((x, y), shown, font=fnt, fill=(*ink.text, 255))
    return img


def _stacked(states: list[Image.Image]) -> Image.Image:
    # Even sizes, so ffmpeg can convert the layer to 4:2:0 once and crop whole chroma rows.
    w, h = states[0].size
    w, h = w + w % 2, h + h % 2
    out = Image.new("RGBA", (w, h * len(states)), (0, 0, 0, 0))
    for k, img in enumerate(states):
        out.paste(img, (0, k * h))
    return out


def _scaled(img: Image.Image, f: float) -> Image.Image:
    if f >= 1.0:
        return img
    w, h = img.size
    small = img.resize((max(1, round(w * f)), max(1, round(h * f))), Image.Resampling.BILINEAR)
    out = Image.new("RGBA", (w, h), (0, 0, 0, 0))
    out.paste(small, ((w - small.width) // 2, (h - small.height) // 2))
    return out


def _ease_times(start: float, duration: float, n: int) -> tuple[float, ...]:
    """When states 1..n-1 begin so the sequence eases out (fast first, settling last)."""
    out = []
    for k in range(1, n):
        u = k / (n - 1)
        # Inverse of the ease-out 1 - (1 - s)^2: state k is reached at time s.
        out.append(round(start + duration * (1 - (1 - u) ** 0.5), 3))
    return tuple(out)


def _enter(block: Block, ink: Legible, look: Look, motion: str, start: float, bullet=None) -> Layer:
    """A block that enters with `motion`, with its movement kept inside the safe area."""
    base = _stacked([_draw(block, ink, bullet=bullet)])
    b = block.box
    safe = safe_area(look.geo.width, look.geo.height)
    if motion == "words":
        n = sum(len(line.split(" ")) for line in block.lines)
        # At most MAX_WORD_STATES steps: a long quote reveals a few words at a time.
        counts = sorted(
            {max(1, round(n * k / min(n, MAX_WORD_STATES))) for k in range(1, min(n, MAX_WORD_STATES) + 1)}
        )
        states = [_draw(block, ink, k, bullet=bullet) for k in counts]
        times = tuple(round(start + c * WORD_STEP, 3) for c in counts[:-1])
        return Layer(block.role, _stacked(states), b.x, b.y, start, 0.2, state_times=times)
    if motion == "scale":
        states = [_scaled(base, f) for f in SCALE_STEPS]
        return Layer(
            block.role,
            _stacked(states),
            b.x,
            b.y,
            start,
            ENTRANCE,
            state_times=_ease_times(start, ENTRANCE, len(states)),
        )
    if motion == "slide":
        room_left, room_right = b.x - safe.x, safe.right - b.right
        dist = round(look.geo.width * 0.05)
        dx = -min(dist, room_left) if room_left >= room_right else min(dist, room_right)
        dx -= dx % 2 if dx > 0 else -(dx % 2)  # even, like every overlay position
        return Layer(block.role, base, b.x, b.y, start, ENTRANCE, dx=dx)
    dy = min(round(look.geo.height * 0.04), safe.bottom - b.bottom)  # fade-up: rises into place
    return Layer(block.role, base, b.x, b.y, start, ENTRANCE, dy=max(0, dy) // 2 * 2)


# -- cues: when the narrator reaches a piece of text --------------------------------------------

_STOP = {
    "the",
    "a",
    "an",
    "and",
    "or",
    "to",
    "of",
    "in",
    "on",
    "for",
    "with",
    "it",
    "we",
    "you",
    "our",
    "your",
}


def _norm(word: str) -> str:
    return re.sub(r"[^\w$%]", "", word.lower())


def cue(words: tuple[WordTiming, ...], text: str, after: int = 0) -> tuple[float, int] | None:
    """(time, index) of the first content word of `text` spoken at or after word `after`."""
    keys = [_norm(w) for w in text.split() if _norm(w) and _norm(w) not in _STOP] or [_norm(text)]
    spoken = [_norm(w.word) for w in words]
    for key in keys[:2]:
        for i in range(after, len(spoken)):
            if spoken[i] == key or (len(key) > 3 and spoken[i].startswith(key[:5])):
                return words[i].start, i
    return None


# -- the kinds ---------------------------------------------------------------------------------


def _palette(plan: ScenePlan, look: Look):
    colours = look.branding.palette(plan.palette, look.style) or palette_colors(plan.palette, look.style)
    _c0, _c1, accent, accent2, text = colours
    return accent, accent2, text


def _blocks(plan: ScenePlan, look: Look) -> dict[str, list[Block]]:
    out: dict[str, list[Block]] = {}
    room = replace(look.branding.room(look.geo), picture=look.picture)
    for block in layout_scene(plan, look.geo.width, look.geo.height, room):
        out.setdefault(block.role, []).append(block)
    return out


def _simple(
    plan: ScenePlan, look: Look, roles: list[str], accent_role: str = "", start: float = ENTER
) -> list[Layer]:
    """Blocks entering one after another with the scene's motion (the main one first)."""
    accent, _a2, text = _palette(plan, look)
    motion = motion_of(plan, look.style)
    layers = []
    blocks = _blocks(plan, look)
    for role in roles:
        for block in blocks.get(role, []):
            ink = _colours(block, look, accent if role == accent_role else text, role)
            layers.append(_enter(block, ink, look, motion if not layers else "fade-up", start))
            start += STAGGER if motion != "words" else WORD_STEP * sum(len(x.split()) for x in block.lines)
    return layers


def _logo(plan: ScenePlan, look: Look) -> list[Layer]:
    """The brand's logo where the layout put it (title and closing scenes), fading in first."""
    logo = look.branding.logo
    layers = []
    for block in _blocks(plan, look).get("logo", []) if logo is not None else []:
        pad = block.indent // 4 * 2  # half the clear margin (even): room for a plate, if needed
        b = block.box
        img = logo_layer_image(logo, (b.w, b.h), look.behind(block), pad)
        dy = round(look.geo.height * 0.02) // 2 * 2
        layers.append(Layer("logo", _stacked([img]), b.x - pad, b.y - pad, ENTER, ENTRANCE, dy=dy))
    return layers


def render_title(plan: ScenePlan, look: Look) -> list[Layer]:
    return _logo(plan, look) + _simple(plan, look, ["title", "subtitle"], accent_role="subtitle")


def entrance(text: str, look: Look) -> float:
    """When a scene's main line enters: at the start, or as the narrator reaches it when it
    comes from a later sentence (a line shown before its words are said gives them away)."""
    found = cue(look.words, text) if look.words and text.strip() else None
    later = found[0] - LEAD if found else ENTER
    return round(later, 3) if later >= ENTER + LATE_ENOUGH else ENTER


def _opening(plan: ScenePlan, look: Look) -> ScenePlan | None:
    """The scene with its first sentence's headline, shown until the main line enters (so the
    frame is never bare while that sentence is spoken); None when there is no such sentence."""
    spoken = sentences(" ".join(w.word for w in look.words))
    line = headline_from(spoken[0]) if len(spoken) > 1 else ""
    if not line.strip("…") or _norm(line) == _norm(plan.headline):
        return None
    return plan.model_copy(update={"headline": line})


def _leaving(layer: Layer, at: float) -> Layer:
    """`layer`, fading out over the FADE_STEPS states just before `at`."""
    w, h = layer.image.width, layer.height
    states = [layer.image.crop((0, h * k, w, h * (k + 1))) for k in range(layer.states)]
    last = states[-1]
    for k in range(1, FADE_STEPS + 1):
        faded = last.copy()
        faded.putalpha(last.getchannel("A").point(lambda v, f=1 - k / FADE_STEPS: round(v * f)))
        states.append(faded)
    after = max((*layer.state_times, layer.start + layer.duration))
    first = max(at - LEAD, after + 0.04)
    times = tuple(round(first + LEAD * k / FADE_STEPS, 3) for k in range(FADE_STEPS))
    return replace(layer, image=_stacked(states), state_times=(*layer.state_times, *times))


def _barred(plan: ScenePlan, look: Look, layers: list[Layer]) -> list[Layer]:
    """A left-aligned statement's accent bar where its headline's lines start, entering with it."""
    if plan.layout != "left" or not layers:
        return layers
    accent, _a2, _t = _palette(plan, look)
    head = layers[0]
    bar = max(4, min(look.geo.width, look.geo.height) // 70)
    img = Image.new("RGBA", (bar + bar % 2, head.height), (*accent, 255))
    x = head.x - 2 * bar
    if reads_right_to_left(plan.headline):  # the headline is aligned right: the bar mirrors
        x = head.x + head.width + 2 * bar - img.width
    return [Layer("bar", img, x, head.y, head.start, ENTRANCE, dy=head.dy), *layers]


def render_statement(plan: ScenePlan, look: Look) -> list[Layer]:
    at = entrance(plan.headline, look)
    layers = _barred(plan, look, _simple(plan, look, ["headline"], start=at))
    early = _opening(plan, look) if at > ENTER else None
    if early is not None:
        first = _barred(early, look, _simple(early, look, ["headline"]))
        layers = [_leaving(layer, at) for layer in first] + layers
    return layers


def render_quote(plan: ScenePlan, look: Look) -> list[Layer]:
    return _simple(plan, look, ["quote", "attribution"], accent_role="attribution")


def render_closing(plan: ScenePlan, look: Look) -> list[Layer]:
    at = entrance(plan.headline, look)
    layers = _logo(plan, look) + _simple(plan, look, ["cta", "link"], accent_role="link", start=at)
    early = _opening(plan, look) if at > ENTER else None
    if early is not None:
        layers += [_leaving(layer, at) for layer in _simple(early, look, ["cta"])]
    return layers


_NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")


def count_states(figure: str, steps: int = COUNT_STEPS) -> list[str]:
    """The figure counting up from zero: "$4.2M" -> "$0.0M", ..., "$4.2M" (same format); a
    whole number under 10 does not count."""
    m = _NUMBER.search(figure)
    if not m:
        return [figure]
    raw = m.group(0)
    if "," in raw and not THOUSANDS.fullmatch(raw):
        return [figure]  # a decimal comma ("1,9"): shown as written, not counted
    value = float(raw.replace(",", ""))
    decimals = len(raw.split(".")[1]) if "." in raw else 0
    if value < 10 and not decimals:
        return [figure]  # "3x" counted up shows "0x", "1x", "2x": a small whole number just lands
    out = []
    for k in range(steps):
        u = k / (steps - 1)
        v = value * (1 - (1 - u) ** 3)
        shown = f"{v:,.{decimals}f}" if "," in raw else f"{v:.{decimals}f}"
        out.append(figure[: m.start()] + shown + figure[m.end() :])
    out[-1] = figure
    return out


def render_stat(plan: ScenePlan, look: Look) -> list[Layer]:
    """The figure counts up and lands (with a last zoom) by the time it is spoken; the label rises."""
    accent, _a2, text = _palette(plan, look)
    blocks = _blocks(plan, look)
    layers = []
    for block in blocks.get("figure", []):
        ink = _colours(block, look, accent, "figure")
        values = count_states(" ".join(block.lines))
        wide = values[-1]
        states = [
            _draw(block, ink, text=(v,)) if len(block.lines) == 1 and v != wide else None for v in values
        ]
        final = _draw(block, ink)
        states = [s or final for s in states]
        # A small overshoot before it settles: the landing.
        states += [_scaled(final, 0.94), final]
        # It lands as the narrator says it ("thirty days" is found by its unit), or within 1.5 s.
        spoken = cue(look.words, plan.figure) if plan.figure else None
        if spoken is None and plan.unit:
            heard = cue(look.words, plan.unit)
            spoken = (heard[0] - 0.3, heard[1]) if heard else None
        land = min(max(spoken[0] if spoken else ENTER + 0.9, ENTER + 0.5), ENTER + 1.5)
        count = _ease_times(ENTER, land - ENTER - 0.12, len(values))
        times = (*count, round(land - 0.06, 3), round(land, 3))
        layers.append(
            Layer("figure", _stacked(states), block.box.x, block.box.y, ENTER, 0.25, state_times=times)
        )
    for block in blocks.get("label", []):
        ink = _colours(block, look, text, "label")
        layers.append(_enter(block, ink, look, "fade-up", ENTER + STAGGER))
    return layers


def render_list(plan: ScenePlan, look: Look) -> list[Layer]:
    """Items appear one by one as the narrator reaches each (evenly, when no words are known)."""
    accent, _a2, text = _palette(plan, look)
    motion = motion_of(plan, look.style)
    item_motion = "slide" if motion == "slide" else "fade-up"
    blocks = _blocks(plan, look)
    layers = []
    for block in blocks.get("heading", []):
        layers.append(_enter(block, _colours(block, look, text, "heading"), look, "fade-up", ENTER))
    items = blocks.get("item", [])
    span = max((w.end for w in look.words), default=2.0)
    at, earliest = 0, ENTER + (STAGGER if layers else 0)
    for k, block in enumerate(items):
        found = cue(look.words, plan.items[k], at) if look.words else None
        if found:
            t, at = found[0] - LEAD, found[1] + 1
        else:
            t = ENTER + span * k / max(1, len(items))
        t = max(earliest, t)
        earliest = t + 0.3  # one at a time, even when the narrator says them quickly
        ink = _colours(block, look, text, "item")
        layers.append(_enter(block, ink, look, item_motion, round(t, 3), bullet=accent))
    return layers


RENDERERS: dict[str, Callable[[ScenePlan, Look], list[Layer]]] = {
    "title": render_title,
    "statement": render_statement,
    "stat": render_stat,
    "list": render_list,
    "quote": render_quote,
    "closing": render_closing,
}


def render_scene(plan: ScenePlan, look: Look) -> list[Layer]:
    """The scene's text layers, by its kind."""
    return RENDERERS[plan.kind](plan, look)


def compose(look: Look, layers: list[Layer]) -> Image.Image:
    """A keyframe: the background at mid-pan with every layer in its final state."""
    dx, dy = look.geo.slack
    frame = look.art.crop((dx // 2, dy // 2, dx // 2 + look.geo.width, dy // 2 + look.geo.height))
    frame = frame.convert("RGBA")
    for layer in layers:
        frame.alpha_composite(layer.final(), (layer.x, layer.y))
    return frame.convert("RGB")
