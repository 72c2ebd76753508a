"""The arq worker process: its jobs, crons, start-up and shutdown, and its Redis settings."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import aiohttp
import arq.worker
from arq import cron
from loguru import logger

from bot import heartbeat
from bot.crons import expire_drafts, fail_stuck, housekeep, requeue_lost
from bot.jobs import generate, render_approved, revise
from bot.redis_conn import worker_connection
from bot.settings import Settings, load_settings
from bot.slack.calls import make_client
from bot.storage import StorageError
from bot.wiring import build_core
from pipeline import PipelineError, warm_up


async def startup(ctx: dict[str, Any]) -> None:
    settings: Settings = ctx.get("settings") or load_settings()
    ctx["settings"] = settings
    ctx["slack"] = make_client(settings, timeout=settings.upload_timeout)
    ctx["slack"].session = aiohttp.ClientSession()  # reuse connections across a job's many calls
    core = build_core(settings, ctx["redis"], ctx["slack"])
    ctx.update(store=core.store, service=core.service, notifier=core.notifier, storage=core.storage)
    try:
        await core.storage.open()  # the bucket's clients and credentials, before the first upload
    except StorageError as exc:  # each upload tries again, and fails its task with the reason
        logger.warning("storage: {}", exc)
    try:
        await asyncio.to_thread(warm_up, settings.pipeline_config())
    except PipelineError as exc:  # e.g. a missing OMA_PIPER_MODEL: each job will say so in its thread
        logger.warning("warm-up failed: {}", exc.user_message)
    # Only now does the worker count as alive in /health.
    ctx["heartbeat"] = asyncio.create_task(heartbeat.beat(ctx["redis"], uuid.uuid4().hex[:8]))


async def shutdown(ctx: dict[str, Any]) -> None:
    if "heartbeat" in ctx:
        ctx["heartbeat"].cancel()
    if "slack" in ctx:
        await ctx["slack"].session.close()


async def run_until_stopped(worker: arq.worker.Worker) -> None:
    """Run `worker` until a signal (or a lost Redis) stops it, then close it with `close_worker`."""
    try:
        await worker.async_run()
    except asyncio.CancelledError:  # arq's signal handler cancels the main task: a normal stop
        pass
    finally:
        # Jobs still running here outlived the grace (arq cancelled them) or Redis was lost
        # (they go on, as arq's own close lets them): wait, do not cancel.
        await close_worker(worker, cancel=False)


async def close_worker(worker: arq.worker.Worker, cancel: bool) -> None:
    """Wait for the running jobs (cancelled first with `cancel`: arq re-queues them), then
    arq's own close.

    arq's close gathers the jobs without `return_exceptions`: a job cancelled between two of
    arq's own Redis calls (its function already returned) raised CancelledError out of the
    close, and a clean stop exited 1 with a traceback.
    """
    if cancel:
        for task in worker.tasks.values():
            task.cancel()
    await asyncio.gather(*worker.tasks.values(), return_exceptions=True)
    worker.tasks.clear()
    await worker.close()


def worker_settings(settings: Settings) -> dict[str, Any]:
    """Keyword arguments for arq.Worker."""
    assert settings.redis_url
    return {
        "functions": [generate, revise, render_approved],
        "cron_jobs": [
            cron(expire_drafts, second=0, run_at_startup=False),
            cron(fail_stuck, second=15, run_at_startup=True),
            cron(requeue_lost, second=45, run_at_startup=True),
            cron(housekeep, minute=set(range(0, 60, 10)), second=30, run_at_startup=True),
        ],
        "on_startup": startup,
        "on_shutdown": shutdown,
        **worker_connection(settings.redis_url),
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
