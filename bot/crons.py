"""The worker's periodic jobs: idle drafts expire, and disk use stays bounded."""

from __future__ import annotations

from typing import Any

from bot.housekeeping import remove, sweep
from bot.service import TaskService
from bot.settings import Settings


async def expire_drafts(ctx: dict[str, Any]) -> int:
    """Drafts nobody reviewed within OMA_DRAFT_TTL_HOURS get a note and a Restart button."""
    settings: Settings = ctx["settings"]
    service: TaskService = ctx["service"]
    expired = await service.expire_idle_drafts(settings.draft_ttl_hours)
    for task in expired:
        remove(settings.work_dir / task.id)
        await ctx["notifier"](task).on_status(task, settings.draft_ttl_hours)
    return len(expired)


async def housekeep(ctx: dict[str, Any]) -> int:
    """Stale working folders, expired results, and the disk bound; returns files removed."""
    settings: Settings = ctx["settings"]
    swept = await sweep(
        ctx["store"],
        settings.work_dir,
        settings.output_dir,
        settings.disk_limit_mb << 20,
        settings.result_ttl_days * 86400,
    )
    return len(swept.removed)
