"""Redis restarts: with AOF a queued job survives and runs once; without it, the queue is gone."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from pathlib import Path

import redis as redis_sync
from arq.connections import create_pool
from arq.jobs import Job
from arq.worker import Worker
from loguru import logger

from bot.embedded_redis import EmbeddedRedis, free_port, redis_binary
from bot.redis_conn import redis_settings, warn_if_volatile, worker_connection
from tests.deploy.support import wait_for

RAN: list[int] = []
STARTED = asyncio.Event()


async def step(ctx: dict, n: int) -> int:
    RAN.append(n)  # counts every start, so a second run of a job would show
    STARTED.set()
    await asyncio.sleep(0.5)
    return n


async def test_aof_keeps_the_queue_across_a_restart_mid_queue(tmp_path: Path) -> None:
    RAN.clear()
    STARTED.clear()
    server = EmbeddedRedis(tmp_path / "redis", persist=True)
    server.start()
    redis = await create_pool(redis_settings(server.url))  # the worker's retries: rides out the restart
    worker = Worker(
        functions=[step], **worker_connection(server.url), max_jobs=1, poll_delay=0.05, handle_signals=False
    )
    try:
        for n in range(2):
            await redis.enqueue_job("step", n, _job_id=f"step-{n}")
        running = asyncio.create_task(worker.async_run())
        await asyncio.wait_for(STARTED.wait(), 10)
        # Job 0 is running and job 1 waits in the queue: Redis goes away and comes back.
        server.stop()
        server.start()
        for n in range(2):
            job = await redis.enqueue_job("step", n, _job_id=f"step-{n}")
            assert job is None, "the job's record was lost"  # arq refuses a duplicate id it still knows
        for n in range(2):
            assert await Job(f"step-{n}", redis).result(timeout=30, poll_delay=0.05) == n
        assert sorted(RAN) == [0, 1], RAN
        assert await redis.zcard("arq:queue") == 0
        assert not await redis.keys("arq:in-progress:*")  # nothing left that could run again
        assert not running.done()
    finally:
        await worker.close()
        await redis.aclose()
        server.stop()


async def test_without_aof_a_restart_loses_the_queue_and_start_up_warns(tmp_path: Path) -> None:
    server = EmbeddedRedis(tmp_path / "redis", persist=False)
    server.start()
    redis = await create_pool(redis_settings(server.url))  # the worker's retries: rides out the restart
    lines: list[str] = []
    sink = logger.add(lines.append, level="WARNING", format="{message}")
    try:
        assert await warn_if_volatile(redis) is True
        assert len(lines) == 1 and lines[0].count(". ") == 0, lines  # one sentence
        assert "appendonly yes" in lines[0]
        await redis.enqueue_job("step", 0, _job_id="step-0")
        server.stop()
        server.start()
        assert await redis.zcard("arq:queue") == 0
        assert await redis.exists("arq:job:step-0") == 0
    finally:
        logger.remove(sink)
        await redis.aclose()
        server.stop()


async def test_no_warning_when_redis_keeps_data(tmp_path: Path) -> None:
    server = EmbeddedRedis(tmp_path / "aof", persist=True)
    server.start()
    redis = await create_pool(redis_settings(server.url))  # the worker's retries: rides out the restart
    lines: list[str] = []
    sink = logger.add(lines.append, level="WARNING", format="{message}")
    try:
        assert await warn_if_volatile(redis) is False
        # Snapshots alone (no AOF) also keep data on disk: no warning either.
        await redis.config_set("appendonly", "no")
        await redis.config_set("save", "900 1")
        assert await warn_if_volatile(redis) is False
        assert lines == []
    finally:
        logger.remove(sink)
        await redis.aclose()
        server.stop()


async def _saved(redis) -> None:
    """BGSAVE has finished: no save in progress and no change since the last one."""
    for _ in range(100):
        info = await redis.info("persistence")
        if not info["rdb_bgsave_in_progress"] and info["rdb_changes_since_last_save"] == 0:
            return
        await asyncio.sleep(0.1)
    raise AssertionError("BGSAVE did not finish")


async def test_backup_and_restore_with_bgsave_and_the_aof(tmp_path: Path) -> None:
    """The README's backup steps: BGSAVE's dump.rdb, or the append-only files, into a new Redis."""
    source = EmbeddedRedis(tmp_path / "live", persist=True)
    source.start()
    redis = await create_pool(redis_settings(source.url))
    try:
        await redis.enqueue_job("step", 7, _job_id="backed-up")
        await redis.bgsave()
        await _saved(redis)
        aof = "appendonlydir" if (source.folder / "appendonlydir").exists() else "appendonly.aof"  # 7.x / 6.x
        rdb_copy, aof_copy = tmp_path / "from-rdb", tmp_path / "from-aof"
        rdb_copy.mkdir()
        shutil.copy(source.folder / "dump.rdb", rdb_copy / "dump.rdb")
        copy = shutil.copytree if aof == "appendonlydir" else shutil.copy
        aof_copy.mkdir()
        copy(source.folder / aof, aof_copy / aof)
    finally:
        await redis.aclose()
        source.stop()
    # dump.rdb is loaded when AOF is off; with AOF on, Redis loads the append-only files instead.
    for folder, persist in ((rdb_copy, False), (aof_copy, True)):
        restored = EmbeddedRedis(folder, persist=persist)
        restored.start()
        redis = await create_pool(redis_settings(restored.url))
        try:
            assert await redis.zcard("arq:queue") == 1, folder.name
            assert await redis.exists("arq:job:backed-up") == 1, folder.name
            if not persist:  # an RDB backup into an AOF set-up: switch AOF on while it runs
                await redis.config_set("appendonly", "yes")
                await _aof_written(redis)
        finally:
            await redis.aclose()
            restored.stop()
    converted = EmbeddedRedis(rdb_copy, persist=True)
    converted.start()
    redis = await create_pool(redis_settings(converted.url))
    try:
        assert await redis.exists("arq:job:backed-up") == 1
    finally:
        await redis.aclose()
        converted.stop()


async def _aof_written(redis) -> None:
    for _ in range(100):
        info = await redis.info("persistence")
        if info["aof_enabled"] and not info["aof_rewrite_in_progress"] and not info["aof_rewrite_scheduled"]:
            return
        await asyncio.sleep(0.1)
    raise AssertionError("the AOF was not written")


def _server(folder: Path, *args: str, port: int | None = None) -> tuple[subprocess.Popen, int]:
    port = port or free_port()
    proc = subprocess.Popen(
        [redis_binary(), "--port", str(port), "--bind", "127.0.0.1", "--dir", str(folder), *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_for(lambda: redis_sync.Redis(port=port).ping(), 10, "redis-server")
    return proc, port


async def test_snapshots_only_keep_a_clean_stop_but_not_a_crash(tmp_path: Path) -> None:
    args = ("--appendonly", "no", "--save", "3600 1")

    def restart(proc: subprocess.Popen, port: int, kill: bool) -> subprocess.Popen:
        proc.kill() if kill else proc.terminate()
        proc.wait(10)
        return _server(tmp_path, *args, port=port)[0]

    proc, port = _server(tmp_path, *args)
    redis = await create_pool(redis_settings(f"redis://127.0.0.1:{port}/0"))
    try:
        assert await warn_if_volatile(redis) is False
        await redis.enqueue_job("step", 1, _job_id="before-stop")
        proc = restart(proc, port, kill=False)  # SIGTERM: Redis saves a snapshot on the way out
        await redis.enqueue_job("step", 2, _job_id="before-crash")
        proc = restart(proc, port, kill=True)  # SIGKILL: whatever came after that snapshot is gone
        assert await redis.exists("arq:job:before-stop") == 1
        assert await redis.exists("arq:job:before-crash") == 0
    finally:
        await redis.aclose()
        proc.terminate()
        proc.wait(10)


async def test_no_warning_and_no_error_where_config_is_disabled(tmp_path: Path) -> None:
    proc, port = _server(tmp_path, "--appendonly", "no", "--save", "", "--rename-command", "CONFIG", "")
    redis = await create_pool(redis_settings(f"redis://127.0.0.1:{port}/0"))
    lines: list[str] = []
    sink = logger.add(lines.append, level="WARNING", format="{message}")
    try:
        assert await warn_if_volatile(redis) is False and lines == []
    finally:
        logger.remove(sink)
        await redis.aclose()
        proc.terminate()
        proc.wait(10)
