"""Load: a mixed request storm against one web process, and worker scaling on one Redis.

Run: python bench/load.py [--requests 500] [--concurrency 50] [--jobs 8] [--seconds 15]

1. `--requests` signed requests, `--concurrency` at a time, against `python -m bot web` and a
   real redis-server: /video commands (help, list, stats, status, cancel), modal submissions
   and Slack's re-deliveries of them, button clicks (approve, request changes, cancel, retry,
   revise) and thread replies. Reports errors (non-200 answers, or ERROR lines in the web
   app's log) and the latency p50/p99.
2. `--jobs` skip-review videos of `--seconds` each, rendered by one worker process, then by
   two, each pinned to its own CPU core, as if each were its own machine sharing the Redis.
   Reports jobs per minute and the ratio (target: two workers >= 1.8x one).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import time
from urllib.parse import urlencode

from stack import Stack, percentiles, stack

from bot.slack import ui
from tests.bot.support import click, eventually, submission

RATIO_TARGET = 1.8


async def one_request(s: Stack, rng: random.Random, i: int, ids: list[str]) -> int:
    """One request of the mix; its HTTP status."""
    kind = rng.random()
    known = rng.choice(ids) if ids else "nosuchtask"
    user = f"U{rng.randrange(20)}"
    if kind < 0.20:
        view = f"VLOAD{i}"
        ids.append(view.lower())
        return (await s.client.interactive(submission(view_id=view, user=user, skip=False))).status
    if kind < 0.25:  # Slack re-delivering a submission it thinks was slow
        body = urlencode({"payload": json.dumps(submission(view_id=known.upper(), user=user, skip=False))})
        headers = {**s.client.sign(body), "X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
        return (await s.client.raw(body, headers)).status
    if kind < 0.60:
        text = rng.choice(["help", "list", "stats", f"status {known}", f"cancel {known}"])
        return (await s.client.command(text, user=user)).status
    if kind < 0.90:
        action, value = rng.choice(
            [
                (ui.APPROVE_ACTION, f"{known}:1"),
                (ui.CHANGES_ACTION, f"{known}:1"),
                (ui.CANCEL_ACTION, f"{known}:1"),
                (ui.RETRY_ACTION, known),
                (ui.REVISE_ACTION, known),
            ]
        )
        return (await s.client.interactive(click(action, value, user=user))).status
    reply = {
        "type": "message",
        "channel": "C1",
        "ts": f"{i}.5",
        "thread_ts": "1.1",
        "user": user,
        "text": "ok",
    }
    return (await s.client.event(reply, event_id=f"EvLoad{i}")).status


async def storm(requests: int, concurrency: int) -> None:
    async with stack() as s:
        rng = random.Random(500)
        ids: list[str] = []
        gate = asyncio.Semaphore(concurrency)
        latencies: list[float] = []
        statuses: list[int] = []

        async def one(i: int) -> None:
            async with gate:
                start = time.perf_counter()
                statuses.append(await one_request(s, rng, i, ids))
                latencies.append((time.perf_counter() - start) * 1000)

        wall = time.perf_counter()
        await asyncio.gather(*(one(i) for i in range(requests)))
        wall = time.perf_counter() - wall
        await asyncio.sleep(1)  # listeners finish their work after the ack
        bad = sum(status != 200 for status in statuses)
        logged = s.errors_logged()
        print(
            f"storm: {requests} mixed requests, {concurrency} at a time, {requests / wall:.0f} req/s; "
            f"errors: {bad} non-200, {len(logged)} logged; latency {percentiles(latencies)}"
        )
        for line in logged[:5]:
            print("  ", line)


async def jobs_per_minute(workers: int, jobs: int, seconds: int) -> float:
    async with stack() as s:
        logs = [s.folder / f"worker{n}.log" for n in range(workers)]
        procs = [
            await s.start_worker(n, log, OMA_VIDEO_HEIGHT="360", OMA_PROGRESS_INTERVAL="1")
            for n, log in enumerate(logs)
        ]
        try:
            async with s.redis_client() as redis:  # every worker is up before the clock starts
                await eventually(lambda: _at_least(redis.zcard("oma:workers"), workers), within=60)
            start = time.monotonic()
            for i in range(jobs):
                await s.client.interactive(
                    submission(view_id=f"VJOB{i}", user=f"U{i}", duration=str(seconds))
                )
            while len(s.slack.called("files.completeUploadExternal")) < jobs:
                await asyncio.sleep(0.2)
                if any(p.returncode is not None for p in procs):
                    raise RuntimeError("a worker exited")
            elapsed = time.monotonic() - start
        finally:
            for p in procs:
                p.terminate()
            await asyncio.gather(*(p.wait() for p in procs))
        if s.errors_logged(*logs):
            raise RuntimeError(f"errors logged: {s.errors_logged(*logs)[:3]}")
        rate = jobs / elapsed * 60
        print(
            f"{workers} worker(s): {jobs} videos of {seconds} s at 360p in {elapsed:.1f} s "
            f"= {rate:.1f} jobs/min"
        )
        return rate


async def _at_least(count, n: int) -> bool:
    return await count >= n


async def run(args: argparse.Namespace) -> None:
    await storm(args.requests, args.concurrency)
    one = await jobs_per_minute(1, args.jobs, args.seconds)
    two = await jobs_per_minute(2, args.jobs, args.seconds)
    print(f"scaling: two workers x{two / one:.2f} the jobs/min of one (target >= {RATIO_TARGET})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--jobs", type=int, default=8)
    parser.add_argument("--seconds", type=int, default=15)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
