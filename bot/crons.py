"""The worker's periodic jobs: idle drafts expire, stuck and lost tasks are picked up, and disk
use stays bounded."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from loguru import logger

from bot.housekeeping import remove, sweep, sweep_stock
from bot.service import TaskService
from bot.settings import Settings
from bot.storage import Bucket, StorageError


async def expire_drafts(ctx: dict[str, Any]) -> int:
    """Drafts nobody reviewed within OMA_DRAFT_TTL_HOURS get a note and a Restart button."""
    settings: Settings = ctx["settings"]
    service: TaskService = ctx["service"]
    expired = await service.expire_idle_drafts(settings.draft_ttl_hours)
    for task in expired:
        await asyncio.to_thread(remove, settings.task_dir(task.id))
        await ctx["notifier"](task).on_status(task, settings.draft_ttl_hours)
    return len(expired)


# arq holds a job for its timeout plus 10 s; past this margin no worker can still be running it.
STUCK_MARGIN = 60


async def fail_stuck(ctx: dict[str, Any]) -> int:
    """Tasks left running by a job that ended without a word fail in their thread, with Retry."""
    settings: Settings = ctx["settings"]
    service: TaskService = ctx["service"]
    stuck = await service.fail_stuck(time.time() - settings.job_timeout - STUCK_MARGIN)
    for task in stuck:
        await ctx["notifier"](task).on_status(task)
    return len(stuck)


# A task queued this long with no job in arq lost its enqueue (the web app's call takes well under
# a second); re-sending one that merely waits is a no-op, so this only bounds how long a loss lasts.
LOST_AFTER = 60
# A task whose Slack thread is not open yet may still be opening: slack-sdk retries the root post
# (five 429s with their Retry-After, three 5xx, three dropped connections, up to 30 s each), which
# can run for minutes. Past this bound no web app is still posting it, so the cron opens it.
UNOPENED_AFTER = 15 * 60


async def requeue_lost(ctx: dict[str, Any]) -> int:
    """Queued tasks whose job never reached arq (Redis failed between the move and the enqueue)
    get it sent again: the task is delivered late instead of never."""
    service: TaskService = ctx["service"]
    now = time.time()
    return len(await service.requeue_lost(now - LOST_AFTER, now - UNOPENED_AFTER))


async def housekeep(ctx: dict[str, Any]) -> int:
    """Stale working folders, expired results (in the bucket too), and the disk bound; returns
    files removed."""
    settings: Settings = ctx["settings"]
    expired = 0
    if isinstance(storage := ctx.get("storage"), Bucket):
        try:
            expired = await storage.expire(time.time() - settings.result_ttl_days * 86400)
        except StorageError as exc:  # the next round tries again
            logger.warning("bucket housekeeping failed: {}", exc)
    swept = await sweep(
        ctx["store"],
        settings.work_dir,
        settings.output_dir,
        settings.disk_limit_mb << 20,
        settings.result_ttl_days * 86400,
    )
    # The stock footage cache every task shares: files no video used for a month.
    stale = await asyncio.to_thread(sweep_stock, settings.stock_dir)
    return len(swept.removed) + expired + len(stale)
