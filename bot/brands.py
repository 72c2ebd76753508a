"""Each workspace's brand kit in Redis, keyed by its Slack team id: the fields and the logo's bytes.

The logo lives under its own key (at most 5 MB, checked by content), so a worker on any
machine can render with it. A kit whose logo has gone (deleted, evicted) still renders: the
pipeline leaves the logo out and the draft's notes say so.
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field
from redis.asyncio import Redis

from pipeline import PipelineConfig
from pipeline.brand import LOGO_MAX_BYTES, Brand, inspect_logo, parse_brand

PREFIX = "oma:brand"
KIT_MAX_BYTES = 64 * 1024  # the fields alone; a kit bigger than this is refused


class StoredKit(BaseModel):
    """A kit as kept in Redis: the Brand's fields with the logo as a name and a digest."""

    fields: dict[str, Any] = Field(description="Brand fields except the logo (colors, font, captions...)")
    logo_name: str | None = None
    logo_sha: str | None = None
    logo_size: str = ""  # "480x192 PNG" for the modal
    updated_by: str = ""
    updated: float = Field(default_factory=time.time)

    def brand(self, logo: Path | None = None) -> Brand:
        """The Brand with its logo at `logo` (which need not exist: then it renders without)."""
        return Brand.model_validate({**self.fields, "logo": logo})


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

    async def save(
        self, team: str, fields: dict[str, Any], user: str, logo: tuple[str, bytes] | None, drop_logo: bool
    ) -> StoredKit:
        """Store the checked `fields` (parse_brand raises BrandError first) and, given one, a new
        logo (name, bytes); the old logo is kept unless `drop_logo`."""
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
            await p.execute()
        return kit

    async def brand_for(self, team: str, folder: Path) -> Brand | None:
        """The team's Brand with its logo written into `folder`; None when it has no kit. A logo
        that is gone from Redis leaves the Brand pointing at a missing file, which the pipeline
        renders without (and says so in the draft)."""
        kit = await self.get(team)
        if kit is None:
            return None
        logo = None
        if kit.logo_name:
            logo = folder / "brand" / Path(kit.logo_name).name
            data = await self.logo(team)
            if data is not None and hashlib.sha256(data).hexdigest()[:16] == kit.logo_sha:
                logo.parent.mkdir(parents=True, exist_ok=True)
                logo.write_bytes(data)
            else:
                logo.unlink(missing_ok=True)
        return kit.brand(logo)


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
