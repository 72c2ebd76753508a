"""What a render takes from a brand kit: palettes, the logo and watermark, the font, the captions.

`resolve` checks the kit's files once per render (a logo or font that is gone is left out,
with a note for the draft) and returns a `Branding` that every scene kind reads. With no
kit, `Branding()` draws exactly what OMA draws unbranded.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from pipeline.brand import DEFAULT_FONT, FONTS, FONTS_DIR, Brand, CaptionPosition, check_font, mix
from pipeline.briefing import Style
from pipeline.render import captions as cap
from pipeline.render.contrast import WHITE, contrast_ratio, luminance
from pipeline.render.layout import Room, safe_area
from pipeline.render.procedural import STYLE_PALETTES
from pipeline.render.stills import Geometry

RGB = tuple[int, int, int]
Palette = tuple[RGB, RGB, RGB, RGB, RGB]  # gradient from, gradient to, accent, second accent, text
INK_DARK: RGB = (17, 17, 22)
WATERMARK_HEIGHT = 0.075  # of the short side
WATERMARK_WIDTH = 0.2  # at most, of the frame's width
WATERMARK_OPACITY = 0.85
PLATE_BELOW = 1.5  # a logo whose contrast with what is behind it is below this gets a plate


@dataclass(frozen=True)
class Branding:
    """A brand kit resolved for one render; the defaults are OMA's own look."""

    brand: Brand | None = None
    logo: Image.Image | None = field(default=None, compare=False)  # RGBA, as the kit gives it
    logo_digest: str = ""
    face: Path | None = None
    captions: cap.CaptionLook = field(default_factory=cap.CaptionLook)
    show_captions: bool = True
    notes: tuple[str, ...] = ()

    def key(self) -> tuple:
        """What caches of anything drawn with this branding hash."""
        if self.brand is None:
            return (self.captions, self.show_captions) if self.captions != cap.CaptionLook() else ()
        return (
            "brand-1",
            self.brand.colors.model_dump(),
            self.brand.watermark,
            self.logo_digest,
            str(self.face),
            self.captions,
        )

    @property
    def watermark(self) -> bool:
        return self.brand is not None and self.brand.watermark and self.logo is not None

    def room(self, geo: Geometry) -> Room:
        corner = watermark_size(self.logo, geo)[1] if self.watermark and self.logo else 0
        return Room(
            face=self.face,
            captions=self.captions,
            corner=corner,
            logo=self.logo.size if self.logo is not None else None,
        )

    def palette(self, name: str, style: Style) -> Palette | None:
        """The scene's palette from the brand colours (one of three variants, by the style's
        palette the storyboard chose, so scenes still vary); None without a brand."""
        if self.brand is None:
            return None
        names = STYLE_PALETTES[style]
        variant = names.index(name) if name in names else 0
        return brand_palettes(self.brand)[variant % 3]

    def colours_id(self) -> str:
        """A short id of the brand's colours, for the art cache."""
        if self.brand is None:
            return ""
        raw = repr(self.brand.colors.filled()).encode()
        return hashlib.sha256(raw).hexdigest()[:10]


def text_ink(background: RGB) -> RGB:
    """White or near-black, whichever reads better on `background`."""
    return WHITE if contrast_ratio(WHITE, background) >= contrast_ratio(INK_DARK, background) else INK_DARK


def brand_palettes(brand: Brand) -> list[Palette]:
    """Three palettes from the brand's colours: its background into its primary, into its
    secondary, and a lighter one; the primary and accent for shapes and highlights."""
    p, s, a, bg = brand.colors.filled()
    ink = text_ink(bg)
    return [
        (bg, mix(bg, p, 0.45), p, a, ink),
        (bg, mix(bg, s, 0.45), s, p, ink),
        (mix(bg, p, 0.25), bg, a, s, ink),
    ]


def resolve(
    brand: Brand | None, *, show_captions: bool = True, position: CaptionPosition | None = None
) -> Branding:
    """The brand kit as this render can use it; `position` overrides the kit's caption place."""
    look = cap.CaptionLook(position=position) if position else cap.CaptionLook()
    if brand is None:
        return Branding(captions=look, show_captions=show_captions)
    notes: list[str] = []
    logo, digest = None, ""
    if brand.logo is not None:
        path = brand.usable_logo()
        if path is None:
            notes.append(
                f"The brand kit's logo ({brand.logo.name}) could not be found or read, so this video "
                "has no logo; set the logo again in the kit."
            )
        else:
            data = path.read_bytes()
            digest = hashlib.sha256(data).hexdigest()[:16]
            with Image.open(path) as img:
                logo = img.convert("RGBA")
    face = brand.usable_font()
    family = "DejaVu Sans"
    if face is not None:
        family = check_font(face)
        if face == FONTS_DIR / FONTS[DEFAULT_FONT]:
            face = None  # the bundled default: draw exactly as unbranded text is drawn
    else:
        notes.append(
            f"The brand kit's font ({Path(brand.font).name}) did not load; the default font is used."
        )
    style = brand.captions
    look = cap.CaptionLook(
        family=family,
        scale=style.size,
        position=position or style.position,
        highlight=cap.CaptionLook.ass_colour(style.highlight),
    )
    return Branding(brand, logo, digest, face, look, show_captions and style.show, tuple(notes))


def _alpha_mean(img: Image.Image) -> RGB:
    arr = np.asarray(img.convert("RGBA"), dtype=np.float64)
    alpha = arr[..., 3:] / 255
    weight = float(alpha.sum()) or 1.0
    return tuple(round(float(v)) for v in (arr[..., :3] * alpha).sum(axis=(0, 1)) / weight)  # type: ignore[return-value]


def logo_layer_image(logo: Image.Image, size: tuple[int, int], behind: np.ndarray, pad: int) -> Image.Image:
    """The logo at `size` (aspect kept by the layout), its transparency kept; on a plate of
    `pad` pixels when it would not stand out from what is behind it (a dark logo on a dark
    brand background). The image is (w + 2 pad, h + 2 pad) either way, even-sized."""
    w, h = size
    shown = logo.resize((w, h), Image.Resampling.LANCZOS)
    out = Image.new("RGBA", (w + 2 * pad, h + 2 * pad), (0, 0, 0, 0))
    mean_logo = _alpha_mean(shown)
    mean_behind = tuple(round(float(v)) for v in np.asarray(behind).reshape(-1, 3).mean(axis=0))
    if float(contrast_ratio(mean_logo, mean_behind)) < PLATE_BELOW:
        plate = WHITE if float(luminance(mean_logo)) < 0.4 else INK_DARK
        ImageDraw.Draw(out).rounded_rectangle(
            [0, 0, out.width - 1, out.height - 1], radius=max(2, pad), fill=(*plate, 235)
        )
    out.alpha_composite(shown, (pad, pad))
    return out


def watermark_size(logo: Image.Image | None, geo: Geometry) -> tuple[int, int]:
    if logo is None:
        return (0, 0)
    short = min(geo.width, geo.height)
    f = min(WATERMARK_HEIGHT * short / logo.height, WATERMARK_WIDTH * geo.width / logo.width)
    return max(2, round(logo.width * f) // 2 * 2), max(2, round(logo.height * f) // 2 * 2)


def watermark(branding: Branding, geo: Geometry) -> tuple[Image.Image, int, int] | None:
    """The corner watermark (image, x, y): the logo small and slightly see-through, in the top
    right of the title-safe area (bottom right when the captions are at the top)."""
    if not branding.watermark or branding.logo is None:
        return None
    w, h = watermark_size(branding.logo, geo)
    img = branding.logo.resize((w, h), Image.Resampling.LANCZOS)
    alpha = img.getchannel("A").point(lambda v: round(v * WATERMARK_OPACITY))
    img.putalpha(alpha)
    safe = safe_area(geo.width, geo.height)
    x = (safe.right - w) // 2 * 2
    at_top = branding.room(geo).corner_at_top()
    y = safe.y // 2 * 2 if at_top else (safe.bottom - h) // 2 * 2
    return img, x, y
