"""Redis Sentinel: REDIS_URL names the sentinels; a failover mid-queue loses no job and runs none twice."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from arq.worker import Worker
from redis.exceptions import RedisError

from bot.embedded_redis import free_port
from bot.redis_conn import (
    RedisURLError,
    SentinelTarget,
    connect_redis,
    parse_sentinel_url,
    redis_settings,
    worker_connection,
)
from tests.deploy.support import MASTER, SentinelSetup, wait_for

RAN: list[int] = []
STARTED: dict[int, asyncio.Event] = {}


async def record(ctx: dict, n: int) -> int:
    RAN.append(n)  # every start counts: a job run twice shows up twice
    STARTED.setdefault(n, asyncio.Event()).set()
    await asyncio.sleep(0.3)
    return n


def test_sentinel_urls() -> None:
    assert parse_sentinel_url("redis://127.0.0.1:6379/0") is None
    assert parse_sentinel_url("redis+sentinel://h1:26379,h2/mymaster/2") == SentinelTarget(
        [("h1", 26379), ("h2", 26379)], "mymaster", 2
    )
    assert parse_sentinel_url("rediss+sentinel://:p%40ss@[::1]:5000/m") == SentinelTarget(
        [("::1", 5000)], "m", 0, None, "p@ss", True
    )
    for bad in ("redis+sentinel:///mymaster/0", "redis+sentinel://h1:26379/", "redis+sentinel://h1:x/m"):
        with pytest.raises(RedisURLError):
            parse_sentinel_url(bad)
    conf = redis_settings("redis+sentinel://u:pw@h1:1,h2:2/mymaster/3")
    assert (conf.host, conf.sentinel, conf.sentinel_master, conf.database) == (
        [("h1", 1), ("h2", 2)],
        True,
        "mymaster",
        3,
    )
    assert (conf.username, conf.password) == ("u", "pw")
    # A plain URL is what it always was: arq's own parsing and the worker's retries.
    plain = redis_settings("redis://127.0.0.1:6390/4")
    assert (plain.host, plain.port, plain.database, plain.sentinel) == ("127.0.0.1", 6390, 4, False)
    assert plain.retry is not None and OSError in plain.retry_on_error


async def _until(check, within: float, what: str) -> object:
    deadline = time.monotonic() + within
    while True:
        try:
            found = await check()
        except RedisError:
            found = None
        if found:
            return found
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)


async def test_failover_mid_queue_runs_every_job_once(tmp_path: Path) -> None:
    RAN.clear()
    STARTED.clear()
    setup = SentinelSetup(tmp_path)
    setup.start()
    # The first sentinel listed is down: clients go on to the next one.
    url = f"redis+sentinel://127.0.0.1:{free_port()},127.0.0.1:{setup.sentinel_port}/{MASTER}/0"
    web = connect_redis(url)  # as bot/web.py would
    worker = Worker(
        functions=[record], **worker_connection(url), max_jobs=1, poll_delay=0.05, handle_signals=False
    )
    try:
        for n in range(6):
            await web.enqueue_job("record", n, _job_id=f"record-{n}")
        # Replication is asynchronous: wait until the replica has the queue (see the README).
        assert await web.execute_command("WAIT", 1, 2000) == 1
        running = asyncio.create_task(worker.async_run())
        STARTED[2] = asyncio.Event()
        await asyncio.wait_for(STARTED[2].wait(), 10)
        old = setup.master_address()
        setup.kill_master()  # job 2 is running, jobs 3-5 are queued

        promoted = ("127.0.0.1", setup.replica_port)
        await asyncio.to_thread(wait_for, lambda: setup.master_address() == promoted, 15, "a promotion")
        assert old == ("127.0.0.1", setup.master_port)
        # The same web client reaches the promoted replica, and a job enqueued now runs too.
        await _until(web.ping, 10, "the web client to reach the new master")
        await web.enqueue_job("record", 6, _job_id="record-6")
        await _until(lambda: _all_done(web, 7), 20, "every job to finish")

        assert sorted(RAN) == list(range(7)), RAN
        assert await web.zcard("arq:queue") == 0
        assert not await web.keys("arq:in-progress:*")  # nothing left that could run again
        assert not running.done(), "the worker's run ended at the failover"
    finally:
        await worker.close()
        await web.aclose()
        setup.stop()


async def _all_done(redis, count: int) -> bool:
    return len(await redis.keys("arq:result:*")) == count
