"""Totals for /video stats and /metrics: recent tasks by status, time and cost, and the queue."""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Sequence
from typing import Any

from bot.queue import Queue
from bot.tasks import Task, TaskStore, TaskSummary

# /video stats adds up hundreds of records; under load, one sum every few seconds is plenty.
TOTALS_TTL = 5.0


class Stats:
    """Task totals at most TOTALS_TTL old; concurrent callers share one computation."""

    def __init__(self, store: TaskStore, queue: Queue) -> None:
        self.store, self.queue = store, queue
        self._cached: tuple[float, dict[str, Any]] | None = None
        self._lock = asyncio.Lock()

    async def totals(self) -> dict[str, Any]:
        async with self._lock:
            if self._cached is None or time.monotonic() - self._cached[0] > TOTALS_TTL:
                self._cached = (time.monotonic(), totals_of(await self.store.summaries()))
        return self._cached[1]

    async def with_queue(self) -> dict[str, Any]:
        """The totals plus the live queue depth and worker count."""
        depth, workers = await self.queue.depth_and_workers()
        return {**await self.totals(), "queue_depth": depth, "workers": workers}


def totals_of(tasks: Sequence[TaskSummary | Task]) -> dict[str, Any]:
    """Counts by status, median generation time and total cost of `tasks`."""
    by_status: dict[str, int] = {}
    for t in tasks:
        by_status[t.status.value] = by_status.get(t.status.value, 0) + 1
    times = [t.generation_seconds for t in tasks if t.generation_seconds]
    return {
        "by_status": by_status,
        "median_seconds": statistics.median(times) if times else None,
        "total_cost": sum(t.cost_usd for t in tasks),
    }
