"""Acknowledgement latency of the HTTP API next to Slack's, against the real web app process.

Run: python bench/api.py [--requests 200] [--concurrency 50] [--rounds 3]

Starts Redis, the Slack emulator and `python -m bot web` (bench/stack.py), makes an API key,
then in each round sends N `POST /api/v1/videos` (a valid briefing: a task is recorded and a job
queued; no worker runs) and N signed Slack modal submissions, 50 at a time, and prints the
p50/p99/max time to the HTTP answer of each, the web process's CPU time per request of each
kind, and the machine's load.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time

from redis.asyncio import Redis
from stack import Stack, load, percentiles, stack

from bot.api.keys import KeyStore
from tests.bot.support import submission

BRIEF = {"title": "Release notes", "description": "Faster sync. Fewer clicks. Dark mode.", "duration": 15}


async def timed(coro) -> tuple[float, int]:
    start = time.perf_counter()
    status = await coro
    return (time.perf_counter() - start) * 1000, status


async def api_call(s: Stack, token: str) -> int:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    url = s.client.base + "/api/v1/videos"
    async with s.client.session.post(url, data=json.dumps(BRIEF), headers=headers) as resp:
        await resp.read()
        return resp.status


async def slack_call(s: Stack, i: int) -> int:
    return (await s.client.interactive(submission(view_id=f"VAPI{i}", user=f"U{i}"))).status


async def batch(calls, concurrency: int) -> tuple[list[float], int]:
    gate = asyncio.Semaphore(concurrency)

    async def one(make):
        async with gate:
            return await timed(make())

    results = await asyncio.gather(*(one(c) for c in calls))
    return [ms for ms, _ in results], sum(status not in (200, 202) for _, status in results)


async def run(requests: int, concurrency: int, rounds: int) -> None:
    async with stack(OMA_API_RATE_PER_MINUTE="1000000", OMA_API_RATE_PER_HOUR="1000000") as s:
        redis = Redis.from_url(s.redis.url)
        _, token = await KeyStore(redis).create("bench")
        await redis.aclose()
        await batch([lambda: api_call(s, token)] * concurrency, concurrency)  # warm the connections
        api_all: list[float] = []
        slack_all: list[float] = []
        api_cpu = slack_cpu = 0.0
        print(load())
        for r in range(rounds):
            cpu = s.web_cpu()
            api_ms, api_errors = await batch([lambda: api_call(s, token)] * requests, concurrency)
            api_cpu += s.web_cpu() - cpu
            cpu = s.web_cpu()
            slack_ms, slack_errors = await batch(
                [lambda i=r * requests + i: slack_call(s, i) for i in range(requests)], concurrency
            )
            slack_cpu += s.web_cpu() - cpu
            api_all += api_ms
            slack_all += slack_ms
            print(f"round {r + 1}: API {percentiles(api_ms)} ({api_errors} errors)")
            print(f"round {r + 1}: Slack {percentiles(slack_ms)} ({slack_errors} errors)")
        api_cpu, slack_cpu = api_cpu * 1000 / len(api_all), slack_cpu * 1000 / len(slack_all)
        head = f"all rounds, {concurrency} concurrent:"
        print(f"{head} API   {percentiles(api_all)}; web CPU {api_cpu:.2f} ms/request")
        print(f"{head} Slack {percentiles(slack_all)}; web CPU {slack_cpu:.2f} ms/request")
        print(load())
        if errors := s.errors_logged():
            print("errors logged by the web app:", *errors[:5], sep="\n  ")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    asyncio.run(run(args.requests, args.concurrency, args.rounds))


if __name__ == "__main__":
    main()
