"""A worker stopped while a job is between two of arq's own steps stops cleanly."""

from __future__ import annotations

import asyncio

import arq.worker
from arq.connections import RedisSettings

from bot.worker import close_worker


async def nap(ctx: dict) -> None:
    await asyncio.sleep(30)


async def test_a_job_cancelled_outside_its_function_does_not_break_the_close(redis, redis_server) -> None:
    started = asyncio.Event()

    async def on_startup(ctx: dict) -> None:
        started.set()

    worker = arq.worker.Worker(
        functions=[nap],
        redis_settings=RedisSettings.from_dsn(redis_server.url),
        handle_signals=False,
        on_startup=on_startup,
    )
    work = asyncio.create_task(worker.async_run())
    await started.wait()
    # What run_job looks like while it awaits Redis after the job's function returned: a task
    # whose cancellation nothing inside catches (arq's close gathered it and re-raised).
    worker.tasks["finishing"] = asyncio.create_task(asyncio.sleep(30))
    await asyncio.sleep(0)

    await close_worker(worker, cancel=True)

    assert worker._pool is None  # closed all the way, its connections too
    assert worker.tasks == {}
    await asyncio.gather(work, return_exceptions=True)
