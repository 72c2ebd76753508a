"""Prometheus metrics for /metrics, through prometheus_client.

The web process measures its own requests (a histogram per route). The worker is another
process, often on another machine, so what it measures (time per phase, queue wait, failures
by reason, OpenAI cost) is counted in Redis by `Recorder`, a notifier every task reports to,
and turned into histograms and counters at each scrape. Counting in Redis keeps the totals
across worker restarts and adds up every worker, with no scrape target per worker.
"""

from __future__ import annotations

import bisect
import time
from pathlib import Path

from aiohttp import web
from prometheus_client import CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from redis.asyncio import Redis

from bot.notifiers import Fields
from bot.tasks import Status, Task
from pipeline import Draft

KEY = "oma:metrics"
ETA_KEY = "oma:eta"
PHASE_BUCKETS = (0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800)
WAIT_BUCKETS = (0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600)
HISTOGRAMS = {
    "oma_job_phase_seconds": ("Seconds a job spent in each phase", "phase", PHASE_BUCKETS),
    "oma_job_seconds": ("Seconds from a job's start to its video, by outcome", "outcome", PHASE_BUCKETS),
    "oma_queue_wait_seconds": ("Seconds a new task waited in the queue for a worker", "kind", WAIT_BUCKETS),
}
COUNTERS = {
    "oma_task_failures": ("Tasks that failed, by reason", "reason"),
    "oma_openai_cost_usd": ("OpenAI spend of delivered videos, in US dollars", "kind"),
}

WEB = CollectorRegistry()
REQUEST_SECONDS = Histogram(
    "oma_http_request_seconds",
    "Seconds the web app took to answer, by route",
    ["method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
    registry=WEB,
)


@web.middleware
async def measure(request: web.Request, handler) -> web.StreamResponse:
    """Time every request under its route's pattern (`/api/v1/videos/{id}`, not each id)."""
    started = time.perf_counter()
    status = 500
    try:
        response = await handler(request)
        status = response.status
        return response
    except web.HTTPException as exc:
        status = exc.status
        raise
    finally:
        route = request.match_info.route.resource
        name = route.canonical if route is not None else "unmatched"
        REQUEST_SECONDS.labels(request.method, name, str(status)).observe(time.perf_counter() - started)


def failure_reason(task: Task) -> str:
    """A small, fixed set of labels from the failure's words (they are written for people)."""
    error = (task.error or "").lower()
    if "oma_job_timeout" in error:
        return "timeout"
    if "unexpected error" in error:
        return "unexpected"
    if "slack" in error or "upload" in error:
        return "delivery"
    if "openai" in error or "model" in error:
        return "model"
    return "pipeline"


class Recorder:
    """A notifier that counts what happens to tasks into Redis; it never fails a task."""

    def __init__(self, redis: Redis) -> None:
        self.redis = redis
        self.phases: dict[str, tuple[str, float]] = {}  # task id -> (phase, since), this worker's jobs

    async def observe(self, name: str, label: str, value: float) -> None:
        buckets = HISTOGRAMS[name][2]
        index = bisect.bisect_left(buckets, value)
        async with self.redis.pipeline(transaction=False) as p:
            p.hincrby(f"{KEY}:{name}", f"{label}\t{index}", 1)
            p.hincrbyfloat(f"{KEY}:{name}", f"{label}\tsum", value)
            p.hincrby(f"{KEY}:{name}", f"{label}\tcount", 1)
            await p.execute()

    async def count(self, name: str, label: str, value: float = 1.0) -> None:
        await self.redis.hincrbyfloat(f"{KEY}:{name}", label, value)

    async def _close_phase(self, task_id: str, next_phase: str | None = None) -> None:
        now = time.monotonic()
        current = self.phases.pop(task_id, None)
        if current is not None and current[0] != next_phase:
            await self.observe("oma_job_phase_seconds", current[0], now - current[1])
        if next_phase is not None:
            self.phases[task_id] = current if current and current[0] == next_phase else (next_phase, now)

    def opened(self, task: Task) -> bool:
        return True

    async def on_created(self, task: Task) -> Fields:
        return {}

    async def on_started(self, task: Task) -> Fields:
        if task.attempts <= 1 and task.revision == 0 and task.started:
            await self.observe("oma_queue_wait_seconds", "new", max(0.0, task.started - task.created))
        return {}

    async def on_progress(self, task: Task, phase: str, percent: int, eta: float | None) -> bool:
        await self._close_phase(task.id, phase)
        if eta is not None:
            await self.redis.set(f"{ETA_KEY}:{task.id}", f"{time.time() + eta:.1f}", ex=3600)
        return True

    async def on_script(self, task: Task, draft: Draft) -> None:
        return None

    async def on_draft(self, task: Task, draft: Draft, previous: Draft | None) -> Fields:
        await self._close_phase(task.id)
        return {}

    async def on_video(self, task: Task, video: Path, captions: list[Path] | None = None) -> Fields:
        await self._close_phase(task.id)
        return {}

    async def on_status(self, task: Task, hours: float | None = None) -> None:
        await self._close_phase(task.id)
        if task.status is Status.AWAITING_REVIEW:
            return
        await self.redis.delete(f"{ETA_KEY}:{task.id}")
        if task.status is Status.DELIVERED:
            if task.generation_seconds:
                await self.observe("oma_job_seconds", "delivered", task.generation_seconds)
            if task.cost_usd:
                await self.count("oma_openai_cost_usd", "delivered", task.cost_usd)
        elif task.status is Status.FAILED:
            await self.count("oma_task_failures", failure_reason(task))


async def eta_of(redis: Redis, task_id: str) -> float | None:
    """Seconds left by the worker's last estimate, when it made one."""
    raw = await redis.get(f"{ETA_KEY}:{task_id}")
    return max(0.0, round(float(raw) - time.time(), 1)) if raw else None


class _Snapshot:
    """One scrape's values read from Redis, handed to prometheus_client as a collector."""

    def __init__(self, gauges: dict[str, tuple[str, dict[tuple, float], list[str]]], stored: dict) -> None:
        self.gauges, self.stored = gauges, stored

    def collect(self):
        for name, (doc, values, labels) in self.gauges.items():
            family = GaugeMetricFamily(name, doc, labels=labels)
            for label_values, value in values.items():
                family.add_metric(list(label_values), value)
            yield family
        for name, (doc, label, buckets) in HISTOGRAMS.items():
            family = HistogramMetricFamily(name, doc, labels=[label])
            for value, (counts, total, _count) in _histograms(self.stored.get(name, {}), buckets).items():
                family.add_metric([value], counts, total)
            yield family
        for name, (doc, label) in COUNTERS.items():
            family = CounterMetricFamily(name, doc, labels=[label])
            for value, amount in self.stored.get(name, {}).items():
                family.add_metric([value], float(amount))
            yield family


def _histograms(fields: dict[str, str], buckets: tuple) -> dict[str, tuple[list, float, int]]:
    per_label: dict[str, dict[str, str]] = {}
    for field, value in fields.items():
        label, _, part = field.partition("\t")
        per_label.setdefault(label, {})[part] = value
    out = {}
    for label, parts in per_label.items():
        running, cumulative = 0, []
        for i, bound in enumerate(buckets):
            running += int(parts.get(str(i), 0))
            cumulative.append((str(float(bound)), running))
        count = int(parts.get("count", 0))
        cumulative.append(("+Inf", count))
        out[label] = (cumulative, float(parts.get("sum", 0.0)), count)
    return out


async def exposition(redis: Redis | None, gauges: dict) -> web.Response:
    """The Prometheus text: this process's request histograms, the live gauges, and the worker's
    counts from Redis (left out while Redis is down)."""
    stored: dict[str, dict[str, str]] = {}
    if redis is not None:
        for name in (*HISTOGRAMS, *COUNTERS):
            raw = await redis.hgetall(f"{KEY}:{name}")
            stored[name] = {_text(k): _text(v) for k, v in raw.items()}
    scrape = CollectorRegistry()
    scrape.register(_Snapshot(gauges, stored))
    body = generate_latest(WEB) + generate_latest(scrape)
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
