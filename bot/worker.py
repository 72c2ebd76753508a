"""The arq worker: runs the pipeline for a task and reports in its Slack thread."""

from __future__ import annotations

import asyncio
import time
import uuid
from pathlib import Path
from typing import Any

import aiohttp
from arq import cron
from arq.connections import ArqRedis, RedisSettings
from arq.constants import retry_key_prefix
from loguru import logger
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from bot import slack_ui as ui
from bot.housekeeping import remove, sweep, task_folder
from bot.listeners import WORKER_TTL, WORKERS, close_review
from bot.settings import Settings, load_settings
from bot.slack_ops import SLACK_FAILURES, describe, make_client, post, update, upload
from bot.tasks import Status, Task, TaskStore
from pipeline import Cancelled, CancelToken, Draft, PipelineError, make_draft, render, warm_up

# Share of the overall bar each phase takes.
WEIGHTS = {"script": 5, "storyboard": 5, "voice": 15, "visuals": 10, "editor": 60, "upload": 5}


def overall_percent(phase: str, fraction: float) -> int:
    done = 0
    for name, weight in WEIGHTS.items():
        if name == phase:
            return int(done + weight * fraction)
        done += weight
    return 0


class Progress:
    """Keeps the latest pipeline report; a pump posts it to Slack at most once an interval."""

    def __init__(self) -> None:
        self.phase, self.fraction, self.started = "script", 0.0, time.monotonic()
        self.changed = asyncio.Event()

    def report(self, phase: str, fraction: float, message: str) -> None:
        self.phase, self.fraction = phase, fraction

    @property
    def percent(self) -> int:
        return overall_percent(self.phase, self.fraction)

    def eta(self) -> float | None:
        p = self.percent
        if p < 5:
            return None
        elapsed = time.monotonic() - self.started
        return elapsed * (100 - p) / p


async def _pump(ctx: dict, task: Task, progress: Progress, interval: float) -> None:
    client, store = ctx["slack"], ctx["store"]
    last = (-1, "")
    while True:
        await asyncio.sleep(interval)
        state = (progress.percent, progress.phase)
        if state == last or task.progress_ts is None:
            continue
        # Coalescing: whatever is newest when Slack is ready is what we send; a failed update
        # (429s past the retries, an outage) is simply superseded by the next one.
        if not await _show(client, task, ui.progress_text(progress.phase, state[0], progress.eta())):
            continue
        last = state
        try:
            await store.update(task.id, phase=progress.phase, percent=progress.percent)
        except RedisError as exc:
            # Progress is a nicety: a long Redis outage must not stop the render itself.
            logger.warning("progress not saved: {}", exc)


async def _watch_cancel(redis: ArqRedis, task_id: str, token: CancelToken) -> None:
    while not token.cancelled:
        try:
            if await redis.exists(f"oma:cancel:{task_id}"):
                token.cancel()
                return
        except RedisError as exc:
            logger.warning("cancel check failed: {}", exc)
        await asyncio.sleep(0.5)


async def _job(
    ctx: dict[str, Any], task_id: str, stage: str | None, feedback: str | None = None, base: int | None = None
) -> str:
    """Load the task and run `stage` (None: full or draft by its skip-review choice).

    Safe to run again (arq delivers at least once): finished and cancelled tasks are left alone.
    """
    task = await ctx["store"].get(task_id)
    if task is None:
        return "missing"
    with logger.contextualize(task=task.id):
        if task.status in (Status.DELIVERED, Status.CANCELLED):
            return task.status.value
        if stage is None:  # a new task, or Retry: the stage that failed, with its feedback
            stage, feedback = task.stage or ("full" if task.skip_review else "draft"), task.feedback
        return await _run(ctx, task, stage, feedback, base)


async def generate(ctx: dict[str, Any], task_id: str) -> str:
    """A new task: the draft, then the render unless it waits for review."""
    return await _job(ctx, task_id, None)


async def revise(ctx: dict[str, Any], task_id: str, feedback: str, base: int | None = None) -> str:
    """Revision `base` + 1 from the reviewer's feedback on revision `base`."""
    return await _job(ctx, task_id, "draft", feedback, base)


async def render_approved(ctx: dict[str, Any], task_id: str) -> str:
    """Render the approved revision."""
    return await _job(ctx, task_id, "render")


async def _post_review(ctx: dict[str, Any], task: Task, draft) -> str:
    """Contact sheet and the draft with its buttons, in the thread; the task waits for review."""
    client, store = ctx["slack"], ctx["store"]
    await upload(
        client,
        task.channel,
        task.root_ts,
        Path(draft.contact_sheet),
        f"Storyboard: {task.briefing.title}",
        f"Storyboard, revision {draft.revision}",
    )
    previous = await store.get_draft(task.id, draft.revision - 1) if draft.revision > 1 else None
    text, blocks = ui.draft_blocks(task, draft, previous)
    task.review_ts = await post(client, task.channel, text, blocks, thread_ts=task.root_ts)
    task.status, task.phase, task.percent = Status.AWAITING_REVIEW, "storyboard", 30
    await store.save(task)
    await _show(client, task, ":eyes: Draft ready: review it below.")
    await _mark_root(client, task)
    return "awaiting_review"


async def expire_drafts(ctx: dict[str, Any]) -> int:
    """Cron: drafts nobody reviewed within OMA_DRAFT_TTL_HOURS get a note and a Restart button."""
    store: TaskStore = ctx["store"]
    settings: Settings = ctx["settings"]
    hours = settings.draft_ttl_hours
    client = ctx["slack"]
    expired = 0
    for task in await store.recent():
        if task.status is not Status.AWAITING_REVIEW or time.time() - task.updated < hours * 3600:
            continue
        task.status, task.finished = Status.EXPIRED, time.time()
        await store.save(task)
        remove(settings.work_dir / task.id)
        expired += 1
        text, blocks = ui.expired_blocks(task, hours)
        try:
            await close_review(client, task, text)
        except SLACK_FAILURES as exc:  # the note below still offers the Restart button
            logger.warning("could not close the review of {}: {}", task.id, describe(exc))
        await _note(client, task, text, blocks)
        await _mark_root(client, task)
    return expired


async def housekeep(ctx: dict[str, Any]) -> int:
    """Cron: stale working folders, expired results, and the disk bound; returns files removed."""
    settings: Settings = ctx["settings"]
    swept = await sweep(
        ctx["store"],
        settings.work_dir,
        settings.output_dir,
        settings.disk_limit_mb << 20,
        settings.result_ttl_days * 86400,
    )
    return len(swept.removed)


async def _run(
    ctx: dict[str, Any], task: Task, stage: str, feedback: str | None = None, base: int | None = None
) -> str:
    """stage: "full" (draft then render), "draft" (stop for review) or "render" (approved draft)."""
    store: TaskStore = ctx["store"]
    settings: Settings = ctx["settings"]
    client = ctx["slack"]
    task.status, task.attempts, task.started, task.error = (
        Status.RENDERING if stage == "render" else Status.DRAFTING,
        task.attempts + 1,
        time.time(),
        None,
    )
    task.stage, task.feedback = stage, feedback
    text = ui.progress_text("script", 0, None)
    if task.progress_ts is None:
        task.progress_ts = await _note(client, task, text)
    await store.save(task)
    await _mark_root(client, task)

    progress, token = Progress(), CancelToken()
    pump = asyncio.create_task(_pump(ctx, task, progress, settings.progress_interval))
    watcher = asyncio.create_task(_watch_cancel(ctx["redis"], task.id, token))
    loop = asyncio.get_running_loop()
    config = settings.pipeline_config().model_copy(
        update={"work_dir": task_folder(settings.work_dir, task.id)}
    )
    out = settings.output_dir / f"{task.id}.mp4"
    out.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    try:
        async with asyncio.timeout(_pipeline_budget(settings)):
            if stage == "render":
                draft = await store.get_draft(task.id, task.revision)
                if draft is None:
                    raise PipelineError(
                        "review", "The approved draft has expired; start a new video.", retryable=False
                    )
            else:
                made = await _draft_made(store, task, feedback, base)
                if made is None:
                    revising = task.revision if base is None else base
                    previous = await store.get_draft(task.id, revising) if feedback else None
                    draft = await loop.run_in_executor(
                        None,
                        lambda: make_draft(
                            task.briefing,
                            config,
                            progress=progress.report,
                            cancel=token,
                            previous=previous,
                            feedback=feedback,
                        ),
                    )
                    await store.save_draft(task.id, draft)
                    task = await store.update(task.id, revision=draft.revision) or task
                else:
                    draft = made
                if stage == "draft":
                    pump.cancel()
                    watcher.cancel()
                    return await _post_review(ctx, task, draft)
                await _note(
                    client,
                    task,
                    f":memo: Script ready: {len(draft.script.scenes)} scenes. Recording and rendering now.",
                )
            task = await store.update(task.id, status=Status.RENDERING) or task
            await _mark_root(client, task)
            result = await loop.run_in_executor(
                None, lambda: render(draft, config, progress=progress.report, cancel=token, out=out)
            )
    except asyncio.CancelledError:
        # The worker is shutting down: stop the pipeline thread too; arq re-queues the job
        # and the next run resumes from the phases already finished.
        token.cancel()
        pump.cancel()
        watcher.cancel()
        await asyncio.shield(_refund_try(ctx))
        raise
    except TimeoutError:
        token.cancel()  # the pipeline thread stops at its next check
        budget = _pipeline_budget(settings)
        took = f"{budget / 60:.0f} minutes" if budget >= 120 else f"{budget:.0f} seconds"
        task.error = f"it took longer than {took} (OMA_JOB_TIMEOUT); Retry goes on from the parts made"
        task.retryable = True
        return await _finish(ctx, task, Status.FAILED, None, pump, watcher)
    except Cancelled:
        remove(config.work_dir)
        return await _finish(ctx, task, Status.CANCELLED, ":no_entry_sign: Cancelled.", pump, watcher)
    except PipelineError as exc:
        logger.warning("pipeline failed in {}: {}", exc.agent, exc.user_message)
        task.error, task.retryable = exc.user_message, exc.retryable
        return await _finish(ctx, task, Status.FAILED, None, pump, watcher)
    except SLACK_FAILURES as exc:
        # Slack refused what the review needs (the contact sheet, the draft with its buttons).
        logger.warning("slack failed: {}", describe(exc))
        task.error, task.retryable = f"Slack did not take the draft ({describe(exc)})", True
        return await _finish(ctx, task, Status.FAILED, None, pump, watcher)
    except Exception as exc:
        logger.exception("unexpected failure")
        task.error, task.retryable = f"an unexpected error ({type(exc).__name__}); it has been logged", True
        return await _finish(ctx, task, Status.FAILED, None, pump, watcher)
    pump.cancel()
    watcher.cancel()
    # Upload exactly once: the record is checked first and the file id saved right after.
    task = await store.get(task.id) or task
    if task.delivered_revision != task.revision or task.file_id is None:
        task.status, task.phase, task.percent = Status.UPLOADING, "upload", 95
        task.duration, task.size_bytes, task.cost_usd = result.duration, result.size_bytes, result.cost_usd
        task.generation_seconds, task.video_path = round(time.monotonic() - started, 1), str(result.path)
        await store.save(task)
        try:
            await _show(client, task, ui.progress_text("upload", 95, None))
            task.file_id = await upload(
                client,
                task.channel,
                task.root_ts,
                Path(result.path),
                task.briefing.title,
                ui.delivered_text(task),
            )
        except SLACK_FAILURES as exc:
            # Not delivered until Slack has the file; the render is cached, so Retry is quick.
            logger.warning("upload failed: {}", describe(exc))
            task.error = (
                f"Slack did not take the upload ({describe(exc)}); the video is made, and Retry sends it"
            )
            task.retryable = True
            return await _finish(ctx, task, Status.FAILED, None)
        task.delivered_revision = task.revision
        await store.save(task)
        await _note(client, task, "Want something changed?", [ui.revise_button(task)])
    task.status, task.finished, task.percent = Status.DELIVERED, time.time(), 100
    await store.save(task)
    # The video is in Slack and the draft in Redis: a later revision can rebuild the rest.
    remove(config.work_dir)
    await _show(client, task, ui.progress_text("upload", 100, None))
    await _mark_root(client, task)
    logger.info("delivered")
    return "delivered"


async def _draft_made(store: TaskStore, task: Task, feedback: str | None, base: int | None) -> Draft | None:
    """The draft this stage already made, when an earlier run of it got that far (Retry, a
    crash, a deploy). Made again, a first draft would be paid for twice (and its recorded
    narration lost), and a revision would apply its feedback twice.

    `base` is the revision a revise job revises: until base + 1 exists, there is nothing to reuse.
    """
    if not task.revision or (base is not None and task.revision <= base):
        return None
    saved = await store.get_draft(task.id, task.revision)
    return saved if saved is not None and saved.feedback == feedback else None


def _pipeline_budget(settings: Settings) -> float:
    """Seconds the pipeline may take: the job timeout less time kept for the upload, so a slow
    job fails in its thread with Retry instead of being cut off silently by arq."""
    return settings.job_timeout - min(settings.upload_timeout, settings.job_timeout / 4)


async def _note(client, task: Task, text: str, blocks=None) -> str | None:
    """A reply in the thread that the job can do without (progress, milestones, the Revise
    button): a Slack failure is logged, and the ts is None."""
    try:
        return await post(client, task.channel, text, blocks, thread_ts=task.root_ts)
    except SLACK_FAILURES as exc:
        logger.warning("thread reply failed: {}", describe(exc))
        return None


async def _refund_try(ctx: dict[str, Any]) -> None:
    """A deploy's SIGTERM is not the job's fault: give back the try arq counted for this run.

    A SIGKILL never gets here, so a job that keeps crashing its worker still runs out of tries.
    """
    if ctx.get("job_id"):
        key = retry_key_prefix + ctx["job_id"]
        if int(await ctx["redis"].get(key) or 0) > 0:
            await ctx["redis"].decr(key)


async def _finish(ctx: dict, task: Task, status: Status, note: str | None, *helpers: asyncio.Task) -> str:
    for h in helpers:
        h.cancel()
    client, store = ctx["slack"], ctx["store"]
    finished = {"status": status, "finished": time.time(), "error": task.error, "retryable": task.retryable}
    task = await store.update(task.id, **finished) or task
    text, blocks = ui.failure_blocks(task) if note is None else (note, None)
    try:
        await post(client, task.channel, text, blocks, thread_ts=task.root_ts)
    except SLACK_FAILURES as exc:
        # Slack itself is failing: the record keeps the reason for /video status and Retry.
        logger.warning("could not report {} in the thread: {}", status.value, describe(exc))
    await _mark_root(client, task)
    return status.value


async def _mark_root(client, task: Task) -> None:
    """Show the task's status on the root message; cosmetic, so a Slack failure is only logged."""
    if task.root_ts:
        text, blocks = ui.root_message(task)
        try:
            await update(client, task.channel, task.root_ts, text, blocks)
        except SLACK_FAILURES as exc:
            logger.warning("root message update failed: {}", describe(exc))


async def _show(client, task: Task, text: str) -> bool:
    """Put `text` in the thread's progress message; cosmetic, so a Slack failure is only logged."""
    if task.progress_ts is None:
        return False
    try:
        await update(client, task.channel, task.progress_ts, text)
    except SLACK_FAILURES as exc:
        logger.warning("progress update failed: {}", describe(exc))
        return False
    return True


async def _heartbeat(redis: ArqRedis, worker_id: str) -> None:
    while True:
        try:
            await redis.zadd(WORKERS, {worker_id: time.time()})
            await redis.zremrangebyscore(WORKERS, "-inf", time.time() - 10 * WORKER_TTL)
        except RedisError as exc:
            # Redis is away; /health shows no worker until it is back and this beats again.
            logger.warning("heartbeat failed: {}", exc)
        await asyncio.sleep(WORKER_TTL / 3)


async def startup(ctx: dict[str, Any]) -> None:
    settings: Settings = ctx.get("settings") or load_settings()
    ctx["settings"] = settings
    ctx["store"] = TaskStore(ctx["redis"], int(settings.result_ttl_days * 86400))
    ctx["slack"] = make_client(settings, timeout=settings.upload_timeout)
    ctx["slack"].session = aiohttp.ClientSession()  # reuse connections across a job's many calls
    try:
        await asyncio.to_thread(warm_up, settings.pipeline_config())
    except PipelineError as exc:  # e.g. a missing OMA_PIPER_MODEL: each job will say so in its thread
        logger.warning("warm-up failed: {}", exc.user_message)
    # Only now does the worker count as alive in /health.
    ctx["heartbeat"] = asyncio.create_task(_heartbeat(ctx["redis"], uuid.uuid4().hex[:8]))


async def shutdown(ctx: dict[str, Any]) -> None:
    if "heartbeat" in ctx:
        ctx["heartbeat"].cancel()
    if "slack" in ctx:
        await ctx["slack"].session.close()


def redis_settings(url: str) -> RedisSettings:
    """arq's connection settings; every command rides out a Redis restart of about 15 s."""
    conf = RedisSettings.from_dsn(url)
    conf.retry = Retry(ExponentialBackoff(cap=2.0, base=0.2), retries=10)
    # redis-py's connect raises the bare OSError of a refused connection inside its retry loop.
    conf.retry_on_error = [RedisConnectionError, RedisTimeoutError, OSError]
    return conf


def worker_settings(settings: Settings) -> dict[str, Any]:
    """Keyword arguments for arq.Worker."""
    assert settings.redis_url
    return {
        "functions": [generate, revise, render_approved],
        "cron_jobs": [
            cron(expire_drafts, second=0, run_at_startup=False),
            cron(housekeep, minute=set(range(0, 60, 10)), second=30, run_at_startup=True),
        ],
        "on_startup": startup,
        "on_shutdown": shutdown,
        "redis_settings": redis_settings(settings.redis_url),
        "job_timeout": settings.job_timeout,
        "max_tries": settings.max_tries,
        "max_jobs": settings.concurrency,
        "allow_abort_jobs": True,
        "health_check_interval": 30,
        # A free worker takes the next job within 0.2 s (arq's default 0.5 s idles a worker ~15%
        # of the time between short jobs); an idle poll is one cheap Redis call.
        "poll_delay": 0.2,
        # SIGTERM: stop taking jobs, let the running one finish within the grace, then re-queue it.
        "job_completion_wait": settings.shutdown_grace,
        "ctx": {"settings": settings},
    }
