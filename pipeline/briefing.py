"""The Briefing: what a person asks for, validated once for every entry point."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator

TITLE_MIN, TITLE_MAX = 3, 200
DESCRIPTION_MIN, DESCRIPTION_MAX = 10, 5000
DURATION_MIN, DURATION_MAX = 15, 180


class Style(StrEnum):
    CORPORATE = "corporate"
    MODERN = "modern"
    CINEMATIC = "cinematic"
    MINIMAL = "minimal"
    PLAYFUL = "playful"


class Tone(StrEnum):
    PROFESSIONAL = "professional"
    FRIENDLY = "friendly"
    INSPIRING = "inspiring"
    HUMOROUS = "humorous"
    URGENT = "urgent"


class Aspect(StrEnum):
    LANDSCAPE = "16:9"
    PORTRAIT = "9:16"
    SQUARE = "1:1"

    def size(self, height: int = 720) -> tuple[int, int]:
        """Output (width, height) for a base of `height` lines (720 -> 1280x720, 720x1280)."""
        long_side = round(height * 16 / 9) // 2 * 2
        if self is Aspect.LANDSCAPE:
            return long_side, height
        if self is Aspect.PORTRAIT:
            return height, long_side
        return height, height


FIELD_LABELS = {
    "title": "Title",
    "description": "Description",
    "duration": "Duration",
    "style": "Style",
    "tone": "Tone",
    "aspect": "Aspect ratio",
}


# Unicode's Cc category (C0 and C1 controls) but for tab, newline and carriage return, which are
# ordinary in a description. A regex, because every stored task is re-validated when read.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_LINE_BREAKS = re.compile("[\n\r\t]")


def _clean_text(label: str, lo: int, hi: int, *, multiline: bool):
    def check(value: object) -> object:
        if not isinstance(value, str):
            return value
        text = value.strip()
        if not text:
            raise ValueError(f"{label} cannot be empty or only spaces")
        if _CONTROL.search(text) or (not multiline and _LINE_BREAKS.search(text)):
            raise ValueError(f"{label} cannot contain control characters")
        if len(text) < lo:
            raise ValueError(f"{label} must be at least {lo} characters (it has {len(text)})")
        if len(text) > hi:
            raise ValueError(f"{label} must be at most {hi} characters (it has {len(text)})")
        return text

    return BeforeValidator(check)


def _choice(enum: type[StrEnum], label: str):
    members = {m.value: m for m in enum}

    def check(value: object) -> object:
        if isinstance(value, str):
            member = members.get(value.strip().lower())
            if member is None:
                raise ValueError(f"{label} must be one of: {', '.join(members)}")
            return member
        return value

    return BeforeValidator(check)


class Briefing(BaseModel):
    """A validated request for one video."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    title: Annotated[str, _clean_text("Title", TITLE_MIN, TITLE_MAX, multiline=False)] = Field(
        description="Short name of the video"
    )
    description: Annotated[
        str, _clean_text("Description", DESCRIPTION_MIN, DESCRIPTION_MAX, multiline=True)
    ] = Field(description="What the video should say")
    duration: int = Field(default=30, description="Length in whole seconds")
    style: Annotated[Style, _choice(Style, "Style")] = Style.MODERN
    tone: Annotated[Tone, _choice(Tone, "Tone")] = Tone.PROFESSIONAL
    aspect: Annotated[Aspect, _choice(Aspect, "Aspect ratio")] = Aspect.LANDSCAPE

    @field_validator("duration", mode="before")
    @classmethod
    def _duration(cls, value: object) -> int:
        rule = f"Duration must be a whole number of seconds between {DURATION_MIN} and {DURATION_MAX}"
        if isinstance(value, bool):
            raise ValueError(rule)
        if isinstance(value, str):
            value = value.strip().removesuffix("s").strip()
            if not value.lstrip("-").isdigit():
                raise ValueError(rule)
            value = int(value)
        if isinstance(value, float):
            if not value.is_integer():
                raise ValueError(rule)
            value = int(value)
        if not isinstance(value, int):
            raise ValueError(rule)
        if not DURATION_MIN <= value <= DURATION_MAX:
            raise ValueError(f"Duration must be between {DURATION_MIN} and {DURATION_MAX} seconds")
        return value


class BriefingError(ValueError):
    """A briefing failed validation; `errors` maps field name to a message for a person."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{FIELD_LABELS.get(k, k)}: {v}" for k, v in errors.items()))


def field_errors(exc: ValidationError) -> dict[str, str]:
    """Plain-words messages per field from a pydantic ValidationError (first error per field)."""
    out: dict[str, str] = {}
    for err in exc.errors():
        field = str(err["loc"][0]) if err["loc"] else "briefing"
        if field in out:
            continue
        if err["type"] == "missing":
            msg = f"{FIELD_LABELS.get(field, field)} is required"
        elif err["type"] == "extra_forbidden":
            msg = f"Unknown field '{field}'"
        else:
            msg = str(err["msg"]).removeprefix("Value error, ")
        out[field] = msg
    return out


def parse_briefing(data: dict[str, object]) -> Briefing:
    """Validate `data` into a Briefing or raise BriefingError with per-field messages."""
    try:
        return Briefing.model_validate(data)
    except ValidationError as exc:
        raise BriefingError(field_errors(exc)) from exc
