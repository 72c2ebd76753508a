"""While a job runs: its progress shown at most once an interval, and its cancel flag watched."""

from __future__ import annotations

import asyncio
import time

from arq.connections import ArqRedis
from loguru import logger
from redis.exceptions import RedisError

from bot.notifiers import Notifier
from bot.service import cancel_key
from bot.tasks import Task, TaskStore
from pipeline import CancelToken
from pipeline.progress import overall_percent


class Progress:
    """Keeps the pipeline's latest report (called from its thread); the pump reads it."""

    def __init__(self) -> None:
        self.phase, self.fraction, self.started = "script", 0.0, time.monotonic()

    def report(self, phase: str, fraction: float, message: str) -> None:
        self.phase, self.fraction = phase, fraction

    @property
    def percent(self) -> int:
        return overall_percent(self.phase, self.fraction)

    def eta(self) -> float | None:
        p = self.percent
        if p < 5:
            return None
        return (time.monotonic() - self.started) * (100 - p) / p


async def pump(store: TaskStore, notifier: Notifier, task: Task, progress: Progress, interval: float) -> None:
    """Show the newest progress each interval. Coalescing: whatever is newest when the notifier
    is ready is sent; a failed update (429s past the retries, an outage) is superseded."""
    last = (-1, "")
    while True:
        await asyncio.sleep(interval)
        state = (progress.percent, progress.phase)
        if state == last or not await notifier.on_progress(task, progress.phase, state[0], progress.eta()):
            continue
        last = state
        try:
            await store.update(task.id, phase=progress.phase, percent=state[0])
        except RedisError as exc:
            # Progress is a nicety: a long Redis outage must not stop the render itself.
            logger.warning("progress not saved: {}", exc)


async def watch_cancel(redis: ArqRedis, task_id: str, token: CancelToken) -> None:
    """Trip `token` once someone asks to cancel the task."""
    while not token.cancelled:
        try:
            if await redis.exists(cancel_key(task_id)):
                token.cancel()
                return
        except RedisError as exc:
            logger.warning("cancel check failed: {}", exc)
        await asyncio.sleep(0.5)
