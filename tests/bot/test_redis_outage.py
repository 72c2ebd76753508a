"""Redis stopped and started again under a running worker: it reconnects and nothing is lost."""

from __future__ import annotations

import asyncio
import signal
import time
from pathlib import Path

from redis.asyncio import Redis

from bot.embedded_redis import EmbeddedRedis
from bot.tasks import Status, TaskStore
from tests.bot.support import eventually, serve, start_bot, submission


async def _outage(server: EmbeddedRedis, seconds: float) -> None:
    server.stop()
    await asyncio.sleep(seconds)
    server.start()  # same port; the append-only file brings the queue and records back


async def test_worker_survives_redis_restarts_idle_and_mid_render(settings, slack, tmp_path: Path) -> None:
    server = EmbeddedRedis(tmp_path / "redis", persist=True)
    server.start()
    settings = settings.model_copy(update={"redis_url": server.url})
    redis = Redis.from_url(server.url)
    log = tmp_path / "worker.log"
    worker = start_bot(slack.url, server.url, tmp_path, log)
    try:
        async with serve(settings) as client:
            await eventually(lambda: redis.zcard("oma:workers"), within=30)
            # Longer than the commands' own retries: the worker starts itself again.
            await _outage(server, 20)
            await client.interactive(submission(view_id="VIDLE"))
            await eventually(lambda: slack.called("files.completeUploadExternal"), within=90)

            await client.interactive(submission(view_id="VBLIP", duration="45"))
            store = TaskStore(redis)

            async def encoding() -> bool:
                # This video's own progress message (the first one's said "Encoding" too).
                task = await store.get("vblip")
                ts = task.progress_ts if task else None
                return any(
                    u.get("ts") == ts and "Encoding" in u.get("text", "") for u in slack.called("chat.update")
                )

            await eventually(encoding, within=90)
            # A blip: the render goes on and the job's Redis calls wait it out.
            await _outage(server, 3)
            await eventually(lambda: len(slack.called("files.completeUploadExternal")) == 2, within=120)
            await asyncio.sleep(1)

            assert worker.poll() is None, "the worker died with Redis"
            for task_id in ("vidle", "vblip"):
                task = await store.get(task_id)
                assert task is not None and task.status is Status.DELIVERED, task_id
            assert len(slack.called("files.completeUploadExternal")) == 2
            assert log.read_text().count("lost Redis") >= 1
            # The heartbeat came back too, so /health counts the worker again.
            beat = await redis.zscore("oma:workers", (await redis.zrange("oma:workers", -1, -1))[0])
            assert time.time() - beat < 30
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(30)
        await redis.aclose()
        server.stop()
