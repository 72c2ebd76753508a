"""Each workspace's brand kit in Redis, keyed by its Slack team id: the fields, the logo's and
an uploaded font's bytes.

The logo (at most 5 MB) and the font (at most 2 MB), both checked by content, live under keys
of their own, so a worker on any machine can render with them. A kit whose logo or font has
gone (deleted, evicted) still renders: without the logo, or in the default font, and the
draft's notes and the video's message say so.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field
from redis.asyncio import Redis

from pipeline import PipelineConfig
from pipeline.brand import (
    DEFAULT_FONT,
    FONT_UPLOAD_MAX_BYTES,
    LOGO_MAX_BYTES,
    Brand,
    inspect_font,
    inspect_logo,
    parse_brand,
)

PREFIX = "oma:brand"
KIT_MAX_BYTES = 64 * 1024  # the fields alone; a kit bigger than this is refused


class StoredKit(BaseModel):
    """A kit as kept in Redis: the Brand's fields with the logo (and an uploaded font) as a name
    and a digest."""

    fields: dict[str, Any] = Field(description="Brand fields except the logo (colors, font, captions...)")
    logo_name: str | None = None
    logo_sha: str | None = None
    logo_size: str = ""  # "480x192 PNG" for the modal
    # An uploaded font replaces fields["font"] (a bundled one's name) while it is set.
    font_name: str | None = None
    font_sha: str | None = None
    font_family: str = ""
    updated_by: str = ""
    updated: float = Field(default_factory=time.time)

    def brand(self, logo: Path | None = None, font: Path | None = None) -> Brand:
        """The Brand with its logo at `logo` and its uploaded font at `font` (neither need exist:
        then it renders without the logo, or in the default font)."""
        return Brand.model_validate({**self.fields, "logo": logo, **({"font": str(font)} if font else {})})


class BrandStore:
    """Get and set a workspace's kit."""

    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    @staticmethod
    def key(team: str) -> str:
        return f"{PREFIX}:{team}"

    async def get(self, team: str) -> StoredKit | None:
        raw = await self.redis.get(self.key(team)) if team else None
        return StoredKit.model_validate_json(raw) if raw else None

    async def exists(self, team: str) -> bool:
        return bool(team) and bool(await self.redis.exists(self.key(team)))

    async def logo(self, team: str) -> bytes | None:
        return await self.redis.get(self.key(team) + ":logo")

    async def font(self, team: str) -> bytes | None:
        return await self.redis.get(self.key(team) + ":font")

    async def save(
        self,
        team: str,
        fields: dict[str, Any],
        user: str,
        logo: tuple[str, bytes] | None,
        drop_logo: bool,
        font: tuple[str, bytes] | None = None,
        keep_font: bool = False,
    ) -> StoredKit:
        """Store the checked `fields` (parse_brand raises BrandError first) and, given one, a new
        logo (name, bytes); the old logo is kept unless `drop_logo`. A new `font` (name, bytes)
        replaces fields["font"]; the old uploaded one is kept only with `keep_font`."""
        parse_brand({k: v for k, v in fields.items() if k != "logo"})
        old = await self.get(team)
        kit = StoredKit(fields=fields, updated_by=user)
        if logo is not None:
            name, data = logo
            info = inspect_logo(data)  # ValueError for a logo that is not one
            kit.logo_name = f"logo.{info.format}" if not name else Path(name).name[:80]
            kit.logo_sha = hashlib.sha256(data).hexdigest()[:16]
            kit.logo_size = f"{info.width}x{info.height} {info.format.upper()}"
        elif old is not None and not drop_logo:
            kit.logo_name, kit.logo_sha, kit.logo_size = old.logo_name, old.logo_sha, old.logo_size
        if font is not None:
            name, data = font
            face = inspect_font(data, FONT_UPLOAD_MAX_BYTES)  # ValueError for a font that is not one
            stem = Path(name).stem[:60] or "font"
            kit.font_name, kit.font_family = f"{stem}.{face.format}", face.family[:80]
            kit.font_sha = hashlib.sha256(data).hexdigest()[:16]
        elif old is not None and keep_font:
            kit.font_name, kit.font_sha, kit.font_family = old.font_name, old.font_sha, old.font_family
        if kit.font_name:
            kit.fields = {**fields, "font": DEFAULT_FONT}  # what the modal shows once it is dropped
        raw = kit.model_dump_json()
        if len(raw) > KIT_MAX_BYTES:
            raise ValueError("the kit is too large")
        async with self.redis.pipeline(transaction=True) as p:
            p.set(self.key(team), raw)
            if logo is not None:
                assert len(logo[1]) <= LOGO_MAX_BYTES
                p.set(self.key(team) + ":logo", logo[1])
            elif kit.logo_name is None:
                p.delete(self.key(team) + ":logo")
            if font is not None:
                p.set(self.key(team) + ":font", font[1])
            elif kit.font_name is None:
                p.delete(self.key(team) + ":font")
            await p.execute()
        return kit

    async def brand_for(self, team: str, folder: Path) -> Brand | None:
        """The team's Brand with its logo and uploaded font written into `folder`; None when it
        has no kit. A logo or font that is gone from Redis leaves the Brand pointing at a missing
        file, which the pipeline renders without, or in the default font (and says so)."""
        kit = await self.get(team)
        if kit is None:
            return None
        logo = font = None
        if kit.logo_name:
            logo = folder / "brand" / Path(kit.logo_name).name
            await asyncio.to_thread(_place, logo, await self.logo(team), kit.logo_sha)
        if kit.font_name:
            # In a folder of its own: the editor gives libass the font by its file name.
            font = folder / "brand" / f"font-{kit.font_sha}" / Path(kit.font_name).name
            await asyncio.to_thread(_place, font, await self.font(team), kit.font_sha)
        return kit.brand(logo, font)


def _place(path: Path, data: bytes | None, sha: str | None) -> None:
    """Write `data` to `path` when it is the file the kit recorded; otherwise make sure no stale
    copy is there (the render then goes without it and says so)."""
    if data is not None and hashlib.sha256(data).hexdigest()[:16] == sha:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    else:
        path.unlink(missing_ok=True)


async def with_team_brand(
    config: PipelineConfig, redis: Redis, team: str, use: bool, captions: str, folder: Path
) -> PipelineConfig:
    """`config` with the team's kit when the task asked for it, and its caption choice."""
    update: dict[str, object] = {}
    if use and team:
        brand = await BrandStore(redis).brand_for(team, folder)
        if brand is not None:
            update["brand"] = brand
    if captions == "off":
        update["captions"] = False
    elif captions in ("bottom", "middle", "top"):
        update["caption_position"] = captions
    return config.model_copy(update=update) if update else config
