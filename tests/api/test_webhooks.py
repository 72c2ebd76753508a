"""Webhooks: retried with backoff and signed at each attempt; a receiver down past the retry time
is recorded on the task; and the SSRF guard connects only to the addresses it checked."""

from __future__ import annotations

import itertools
import json
import socket
from urllib.parse import urlsplit

import pytest
from aiohttp.abc import AbstractResolver, ResolveResult

from bot.api.keys import KeyStore
from bot.embedded_redis import free_port
from bot.tasks import Status, Task, TaskStore
from bot.webhook import UnsafeTarget, WebhookNotifier, guard
from pipeline import Briefing
from tests.api.support import BRIEF, ApiClient, receiver, signed
from tests.bot.support import run_jobs


class Answers(AbstractResolver):
    """A DNS server we control: the n-th lookup of any name gets the n-th list of addresses (the
    last list from then on)."""

    def __init__(self, *rounds: list[str]) -> None:
        self.rounds, self.asked = rounds, 0

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        addresses = self.rounds[min(self.asked, len(self.rounds) - 1)]
        self.asked += 1
        return [
            {
                "hostname": host,
                "host": a,
                "port": port,
                "family": socket.AF_INET6 if ":" in a else socket.AF_INET,
                "proto": 0,
                "flags": 0,
            }
            for a in addresses
        ]

    async def close(self) -> None:
        return None


PUBLIC = "93.184.216.34"  # a global address (IANA's example.com); this sandbox refuses connections out


async def _secret(_key_id: str) -> str:
    return "hook-secret"


async def _task(redis, url: str) -> tuple[TaskStore, Task]:
    store = TaskStore(redis)
    task = Task(
        id="w1", user="K", key_id="k1", briefing=Briefing(**BRIEF), webhook_url=url, status=Status.DELIVERED
    )
    assert await store.create(task)
    return store, task


async def test_a_name_rebound_to_loopback_after_its_check_never_gets_the_post(redis) -> None:
    async with receiver() as hook:
        port = urlsplit(hook.url).port
        # DNS rebinding: the first lookup says a public address, every later one says loopback,
        # where a service (here, the receiver) listens.
        dns = Answers([PUBLIC], ["127.0.0.1"])
        store, task = await _task(redis, f"http://hooks.example.com:{port}/hook")
        notifier = WebhookNotifier(store, _secret, False, timeout=1.0, retry_seconds=1.0, resolver=dns)
        assert not await notifier.send(task, "video.delivered", {})
    assert hook.posts == []
    attempts = (await store.get("w1")).webhook_attempts
    # One lookup per attempt: the address checked is the address connected to.
    assert dns.asked == len(attempts) >= 2
    assert "private" not in attempts[0].error  # the public answer was tried (and the network refused)
    assert all("loopback, private or link-local" in a.error for a in attempts[1:])


async def test_every_resolved_address_is_checked_and_a_private_one_refuses_the_name(redis) -> None:
    async with receiver() as hook:
        port = urlsplit(hook.url).port
        dns = Answers([PUBLIC, "10.1.2.3", "127.0.0.1"])
        store, task = await _task(redis, f"http://hooks.example.com:{port}/hook")
        notifier = WebhookNotifier(store, _secret, False, timeout=1.0, retry_seconds=0, resolver=dns)
        assert not await notifier.send(task, "video.delivered", {})
    assert hook.posts == []
    [attempt] = (await store.get("w1")).webhook_attempts
    assert "hooks.example.com is a loopback, private or link-local" in attempt.error

    for addresses in (["10.0.0.5"], ["169.254.169.254"], ["::1"], ["::ffff:192.168.1.1"], ["fd00::1"]):
        with pytest.raises(UnsafeTarget, match="private"):
            await guard("https://hooks.example.com/x", False, Answers(addresses))
    await guard("https://hooks.example.com/x", False, Answers([PUBLIC]))
    await guard("https://hooks.example.com/x", True, Answers(["127.0.0.1"]))  # allowed by the setting
    for literal in ("http://127.0.0.1:9/x", "http://[::1]/x", "http://[::ffff:10.0.0.1]/x"):
        with pytest.raises(UnsafeTarget, match="private"):
            await guard(literal, False, Answers([PUBLIC]))


@pytest.mark.slow
async def test_a_failing_receiver_gets_the_event_again_with_backoff_each_attempt_signed(
    api: ApiClient, settings, keys: KeyStore
) -> None:
    async with receiver(500, 502, 200) as hook:
        resp, task = await api.call("POST", "/api/v1/videos", {**BRIEF, "webhook_url": hook.url})
        assert resp.status == 202, task
        await run_jobs(settings)  # the job delivers, then posts the event until it is taken

    key = (await keys.all())[0]
    posts = [(h, b, t) for (h, b), t in zip(hook.posts, hook.times, strict=True) if b"video.delivered" in b]
    assert len(posts) == 3
    assert all(signed(key.webhook_secret, h, b) for h, b, _ in posts)
    assert len({json.loads(b)["id"] for _, b, _ in posts}) == 1  # one event, so a receiver can dedupe
    _, done = await api.call("GET", f"/api/v1/videos/{task['id']}")
    attempts = done["webhook_attempts"]
    assert [(a["status_code"], a["ok"]) for a in attempts] == [(500, False), (502, False), (200, True)]
    assert attempts[0]["error"] == "the receiver answered 500"
    # Backoff, from the recorded schedule: each wait at least its delay (0.5 s, then 1 s). Only
    # lower bounds: a loaded machine makes gaps longer, never shorter.
    gaps = [b["at"] - a["at"] for a, b in itertools.pairwise(attempts)]
    assert gaps[0] >= 0.5 - 0.05 and gaps[1] >= 1.0 - 0.05, gaps


@pytest.mark.slow
async def test_a_receiver_down_past_the_retry_time_is_recorded_and_the_video_delivered(
    api: ApiClient, settings
) -> None:
    down = f"http://127.0.0.1:{free_port()}/hook"  # nothing listens there
    resp, task = await api.call("POST", "/api/v1/videos", {**BRIEF, "webhook_url": down})
    assert resp.status == 202, task
    bounded = settings.model_copy(update={"webhook_retry_seconds": 2.0})
    await run_jobs(bounded)

    _, done = await api.call("GET", f"/api/v1/videos/{task['id']}")
    assert done["status"] == "delivered"  # a webhook is extra: its failure never fails the video
    attempts = done["webhook_attempts"]
    assert len(attempts) >= 2 and not any(a["ok"] for a in attempts)
    assert all(a["status_code"] is None and "Connect" in a["error"] for a in attempts), attempts
    assert attempts[-1]["at"] - attempts[0]["at"] <= 2.0 + 1.0  # given up within the bounded time
    # Backed off, not hammered: within 2 s the schedule has room for three tries (at 0, 0.5 and
    # 1.5 s; the next, 2 s later, is past the deadline), and the waits grow.
    assert len(attempts) <= 3, attempts
    gaps = [b["at"] - a["at"] for a, b in itertools.pairwise(attempts)]
    assert all(g >= d - 0.05 for g, d in zip(gaps, (0.5, 1.0), strict=False)), gaps
