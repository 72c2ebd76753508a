"""A team's brand kit: name, logo, colours, font, watermark, caption style and pronunciations.

`load_brand` reads a YAML kit (paths relative to the file) and `parse_brand` a mapping; both
check the logo and the font and raise BrandError naming each bad field. A `Brand` itself
only holds paths: a logo that is gone by render time is left out (the draft says so), it
never fails a video.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from PIL import Image, ImageFont, UnidentifiedImageError
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

RGB = tuple[int, int, int]
CaptionPosition = Literal["bottom", "middle", "top"]
CAPTION_POSITIONS: tuple[str, ...] = CaptionPosition.__args__  # type: ignore[attr-defined]

LOGO_MAX_BYTES = 5 * 1024 * 1024
LOGO_MAX_SIDE = 4096
LOGO_FORMATS = {"PNG": "png", "JPEG": "jpg", "WEBP": "webp"}
FONT_MAX_BYTES = 10 * 1024 * 1024  # a font file a kit names (CLI)
FONT_UPLOAD_MAX_BYTES = 2 * 1024 * 1024  # a font uploaded in Slack: kept in Redis with the kit
# What a font file starts with: TrueType outlines (version 1.0, or Apple's "true"), CFF ("OTTO").
FONT_MAGIC = {b"\x00\x01\x00\x00": "ttf", b"true": "ttf", b"OTTO": "otf"}
FONTS_DIR = Path(__file__).resolve().parent / "assets" / "fonts"
# Bundled fonts by the name a kit gives (licences in pipeline/assets/fonts/).
FONTS = {
    "dejavu-sans": "DejaVuSans-Bold.ttf",
    "lato": "Lato-Bold.ttf",
    "manrope": "Manrope-Bold.ttf",
    "roboto": "Roboto-Bold.ttf",
    "source-serif": "SourceSerifPro-Bold.ttf",
    "fredoka": "FredokaOne-Regular.ttf",
}
DEFAULT_FONT = "dejavu-sans"
_HEX = re.compile(r"#?([0-9a-fA-F]{6}|[0-9a-fA-F]{3})")


class BrandError(ValueError):
    """The kit is not usable; `errors` maps each field (dotted: "colors.primary") to why."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))


def parse_colour(value: object) -> str:
    """'#RRGGBB' (lower case) from '#rgb', '#rrggbb' or the same without '#'; ValueError otherwise."""
    text = str(value).strip() if isinstance(value, str | int) else ""
    m = _HEX.fullmatch(text)
    if not m:
        raise ValueError(f"{str(value)[:40]!r} is not a colour; give a hex colour such as #1A73E8")
    digits = m.group(1)
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    return "#" + digits.lower()


def rgb(colour: str) -> RGB:
    return (int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16))


def mix(a: RGB, b: RGB, f: float) -> RGB:
    """`a` moved a fraction `f` of the way to `b`."""
    return tuple(round(x + (y - x) * f) for x, y in zip(a, b, strict=True))  # type: ignore[return-value]


class Colors(BaseModel):
    """Brand colours as hex; at least one. The others are derived from those given."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    primary: str | None = None
    secondary: str | None = None
    accent: str | None = None
    background: str | None = None

    @field_validator("primary", "secondary", "accent", "background", mode="before")
    @classmethod
    def _colour(cls, value: object) -> object:
        return None if value is None or value == "" else parse_colour(value)

    @model_validator(mode="after")
    def _one(self) -> Colors:
        if not any((self.primary, self.secondary, self.accent, self.background)):
            raise ValueError("give at least one colour (primary, secondary, accent or background)")
        return self

    def filled(self) -> tuple[RGB, RGB, RGB, RGB]:
        """(primary, secondary, accent, background), each given or derived from the others."""
        given = [c for c in (self.primary, self.secondary, self.accent, self.background) if c]
        primary = rgb(self.primary or self.accent or self.secondary or given[0])
        secondary = rgb(self.secondary) if self.secondary else mix(primary, (255, 255, 255), 0.35)
        accent = rgb(self.accent) if self.accent else secondary
        # No background given: a deep shade of the primary, which white text reads on.
        background = rgb(self.background) if self.background else mix(primary, (8, 8, 14), 0.82)
        return primary, secondary, accent, background


class CaptionStyle(BaseModel):
    """How the burned-in captions look: shown or not, where, how large, the spoken word's colour."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    show: bool = True
    position: CaptionPosition = "bottom"
    size: float = Field(default=1.0, ge=0.5, le=2.0, description="A multiple of the default size")
    highlight: str = "#FFD400"

    @field_validator("highlight", mode="before")
    @classmethod
    def _colour(cls, value: object) -> str:
        return parse_colour(value)


class Brand(BaseModel):
    """A team's brand kit, as the pipeline uses it (paths are absolute or relative to the cwd)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1, max_length=80)
    logo: Path | None = None
    colors: Colors
    font: str = Field(default=DEFAULT_FONT, description="A bundled font's name, or a TTF/OTF path")
    watermark: bool = False
    captions: CaptionStyle = CaptionStyle()
    pronounce: dict[str, str] = Field(default_factory=dict, description="word: how the voice says it")

    @field_validator("name", mode="before")
    @classmethod
    def _name(cls, value: object) -> object:
        return value.strip() if isinstance(value, str) else value

    @field_validator("font", mode="before")
    @classmethod
    def _font(cls, value: object) -> object:
        return DEFAULT_FONT if value is None or value == "" else value

    @field_validator("pronounce", mode="before")
    @classmethod
    def _pronounce(cls, value: object) -> object:
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise ValueError("give a mapping of words to how they are said, such as {SQL: sequel}")
        if len(value) > 200:
            raise ValueError("at most 200 words")
        out = {}
        for word, spoken in value.items():
            word, spoken = str(word).strip(), str(spoken if spoken is not None else "").strip()
            if not word or not spoken or len(word) > 60 or len(spoken) > 120:
                raise ValueError(f"{word[:40]!r}: a word needs 1-60 characters and how it is said 1-120")
            out[word] = spoken
        return out

    @property
    def font_file(self) -> Path:
        return FONTS_DIR / FONTS[self.font] if self.font in FONTS else Path(self.font)

    def usable_logo(self) -> Path | None:
        """The logo, when it is there and still a logo we accept; None otherwise."""
        if self.logo is None:
            return None
        try:
            inspect_logo(self.logo.read_bytes())
        except (OSError, ValueError):
            return None
        return self.logo

    def usable_font(self) -> Path | None:
        """The font's file when it loads, else None (the default font is used)."""
        try:
            check_font(self.font_file)
        except ValueError:
            return None
        return self.font_file


@dataclass(frozen=True)
class LogoInfo:
    format: str  # png, jpg or webp
    width: int
    height: int
    transparent: bool


def inspect_logo(data: bytes) -> LogoInfo:
    """What a logo file is, read from its content; ValueError saying why it is not acceptable."""
    if len(data) > LOGO_MAX_BYTES:
        raise ValueError(f"the logo is {len(data) / 1e6:.1f} MB; at most 5 MB")
    try:
        with Image.open(io.BytesIO(data)) as img:
            fmt = img.format or ""
            if fmt not in LOGO_FORMATS:
                raise ValueError(f"the logo is not a PNG, JPEG or WebP image ({fmt or 'unknown'})")
            w, h = img.size
            # The size is known before any pixel is decoded: a huge image is refused unread.
            if max(w, h) > LOGO_MAX_SIDE:
                raise ValueError(f"the logo is {w}x{h} pixels; at most {LOGO_MAX_SIDE} on each side")
            img.load()
            transparent = img.mode in ("RGBA", "LA", "PA") or "transparency" in img.info
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
        raise ValueError("the logo could not be read as an image (PNG, JPEG or WebP)") from exc
    return LogoInfo(LOGO_FORMATS[fmt], w, h, transparent)


@dataclass(frozen=True)
class FontInfo:
    format: str  # ttf or otf
    family: str  # as the font names itself (libass finds the captions' font by it)


def inspect_font(data: bytes, limit: int = FONT_MAX_BYTES) -> FontInfo:
    """What a font file is, read from its content; ValueError saying why it is not one we take.

    It must be TrueType or OpenType by its first bytes (not a collection, WOFF or anything
    else), at most `limit` bytes, and load in Pillow with letters in it.
    """
    if len(data) > limit:
        raise ValueError(f"the font is {len(data) / 1e6:.1f} MB; at most {limit // 2**20} MB")
    fmt = FONT_MAGIC.get(data[:4])
    if fmt is None:
        raise ValueError("the file is not a TrueType or OpenType font (.ttf or .otf)")
    try:
        face = ImageFont.truetype(io.BytesIO(data), 24)
        if face.getlength("Ag") <= 0 or face.getbbox("Ag")[2] <= 0:
            raise ValueError("the font has no letters")
    except OSError as exc:
        raise ValueError("the font did not load: the file is damaged or not a usable .ttf/.otf") from exc
    family = face.getname()[0] or ""
    # Captions name the font by family in an ASS style line, where a comma starts the next field.
    if len(family) > 64 or not family.isprintable() or any(ch in family for ch in ",{}\\"):
        raise ValueError("the font's family name is too long or has a comma, brace or backslash in it")
    return FontInfo(fmt, family)


def check_font(path: Path) -> str:
    """The family name of a font file; ValueError when it is missing, too big or not a font."""
    try:
        if path.stat().st_size > FONT_MAX_BYTES:
            raise ValueError(f"the font file is over {FONT_MAX_BYTES // 2**20} MB")
        data = path.read_bytes()
    except OSError as exc:
        if path.suffix.lower() not in (".ttf", ".otf"):  # meant as a bundled font's name
            names = ", ".join(FONTS)
            raise ValueError(f"{path.name!r} is not a bundled font ({names}) nor a .ttf/.otf") from exc
        raise ValueError(f"{path.name!r} cannot be read (is the path right?)") from exc
    try:
        return inspect_font(data).family or path.stem
    except ValueError as exc:
        names = ", ".join(FONTS)
        raise ValueError(f"{path.name!r}: {exc}; give a .ttf/.otf or one of: {names}") from exc


def _field(err: dict[str, Any]) -> str:
    parts = [str(p) for p in err["loc"] if not str(p).startswith("function-")]
    return ".".join(parts) or "brand"


def _message(err: dict[str, Any]) -> str:
    msg = str(err["msg"]).removeprefix("Value error, ")
    if err["type"] == "extra_forbidden":
        return "is not a brand kit field (name, logo, colors, font, watermark, captions, pronounce)"
    if err["type"] == "missing":
        return "is required"
    return msg


def parse_brand(data: object, base: Path | None = None) -> Brand:
    """A checked Brand from a mapping (a YAML kit, a stored one); relative paths are under `base`.

    Raises BrandError naming every bad field: a colour that is not a colour, a logo that is
    missing, unreadable, not PNG/JPEG/WebP, over 5 MB or 4096 px, a font that does not load.
    """
    if not isinstance(data, dict):
        raise BrandError({"brand": "a brand kit is a mapping of fields (name, colors, ...)"})
    data = dict(data)
    for key in ("logo", "font"):
        value = data.get(key)
        if isinstance(value, str) and value and base is not None and not (key == "font" and value in FONTS):
            data[key] = str((base / value).resolve()) if not Path(value).is_absolute() else value
    if isinstance(data.get("captions"), bool):  # `captions: false` switches them off
        data["captions"] = {"show": data["captions"]}
    try:
        brand = Brand.model_validate(data)
    except ValidationError as exc:
        errors: dict[str, str] = {}
        for err in exc.errors():
            errors.setdefault(_field(err), _message(err))
        raise BrandError(errors) from exc
    errors = {}
    if brand.logo is not None:
        try:
            inspect_logo(brand.logo.read_bytes())
        except OSError:
            errors["logo"] = f"{brand.logo.name} cannot be read (is the path right?)"
        except ValueError as exc:
            errors["logo"] = str(exc)
    if brand.font not in FONTS:
        try:
            check_font(brand.font_file)
        except ValueError as exc:
            errors["font"] = str(exc)
    if errors:
        raise BrandError(errors)
    return brand


def load_brand(path: Path) -> Brand:
    """A brand kit from a YAML (or JSON) file; its logo and font paths are relative to the file."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise BrandError({"brand": f"could not read {path.name}: {exc}"}) from exc
    return parse_brand(data, path.parent)


def spoken(text: str, pronounce: dict[str, str]) -> str:
    """`text` as the voice should read it: each listed word (whole word, any case) replaced."""
    if not pronounce:
        return text
    # Longest first, so "Nimbus Cloud" wins over "Nimbus".
    words = sorted(pronounce, key=len, reverse=True)
    lookup = {w.lower(): pronounce[w] for w in words}
    pattern = re.compile(r"(?<![\w-])(" + "|".join(re.escape(w) for w in words) + r")(?![\w-])", re.I)
    return pattern.sub(lambda m: lookup[m.group(1).lower()], text)


def brand_options(kit: Path | None, captions: str | None) -> dict[str, object]:
    """PipelineConfig fields for `--brand kit.yaml` and `--captions bottom|middle|top|off`.

    Raises BrandError naming the field (the kit's, or "captions" for a bad position).
    """
    out: dict[str, object] = {}
    if kit is not None:
        out["brand"] = load_brand(kit)
    if captions == "off":
        out["captions"] = False
    elif captions is not None:
        if captions not in CAPTION_POSITIONS:
            raise BrandError({"captions": f"{captions!r} is not bottom, middle, top or off"})
        out["caption_position"] = captions
    return out
