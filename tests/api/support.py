"""Helpers for the HTTP API tests: an API client with a key, and a webhook receiver."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

from bot.embedded_redis import free_port

BRIEF = {
    "title": "Meet Nimbus",
    "description": "Nimbus keeps your files in sync. It works offline.",
    "duration": 15,
    "aspect": "16:9",
}


class ApiClient:
    """Calls /api/v1 over real HTTP with one key (or none)."""

    def __init__(self, base: str, session: aiohttp.ClientSession, key: str | None) -> None:
        self.base, self.session, self.key = base, session, key

    def headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        out = {"Authorization": f"Bearer {self.key}"} if self.key else {}
        return {**out, **(extra or {})}

    async def call(
        self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None, raw=None
    ) -> tuple[aiohttp.ClientResponse, Any]:
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        hdrs = self.headers({"Content-Type": "application/json", **(headers or {})} if data else headers)
        async with self.session.request(method, self.base + path, data=data, headers=hdrs) as resp:
            content = await resp.read()
            kind = resp.headers.get("Content-Type", "")
            return resp, (json.loads(content) if kind.startswith("application/json") and content else content)

    def as_key(self, key: str | None) -> ApiClient:
        return ApiClient(self.base, self.session, key)


@dataclass
class Receiver:
    """A webhook endpoint on loopback that keeps every POST (and when it came) and checks
    nothing itself; it answers the statuses of `answers` in turn, the last one from then on."""

    url: str = ""
    answers: tuple[int, ...] = (204,)
    posts: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    times: list[float] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    def events(self) -> list[dict]:
        return [json.loads(body) for _, body in self.posts]


def signed(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """The check a receiver does: HMAC-SHA256 over `v1:{timestamp}:{raw body}`."""
    ts = headers.get("X-OMA-Timestamp", "")
    digest = hmac.new(secret.encode(), f"v1:{ts}:".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(headers.get("X-OMA-Signature", ""), f"v1={digest}")


@asynccontextmanager
async def receiver(*answers: int) -> AsyncIterator[Receiver]:
    got = Receiver(answers=answers or (204,))

    async def hook(request: web.Request) -> web.Response:
        got.posts.append((dict(request.headers), await request.read()))
        got.times.append(time.monotonic())
        got.arrived.set()
        return web.Response(status=got.answers[min(len(got.posts), len(got.answers)) - 1])

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    got.url = f"http://127.0.0.1:{port}/hook"
    try:
        yield got
    finally:
        await runner.cleanup()


async def wait_for_event(got: Receiver, kind: str, within: float = 20.0) -> dict:
    async def seen() -> dict:
        while True:
            for event in got.events():
                if event["type"] == kind:
                    return event
            got.arrived.clear()
            await got.arrived.wait()

    return await asyncio.wait_for(seen(), within)


class S3Server:
    """moto's S3-compatible server in its own process on a free loopback port, as the tests run
    redis-server; `stop` and `start` again give an outage (moto keeps its buckets in memory, so
    they come back empty)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        cmd = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                if self.proc.poll() is not None:
                    raise RuntimeError("moto's server exited at start") from None
                time.sleep(0.1)
        raise RuntimeError("moto's server did not start within 30 s")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(10)
            self.proc = None

    def client(self):
        """A plain boto3 client to look into the bucket as an operator would."""
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.url,
            aws_access_key_id="test-key",
            aws_secret_access_key="test-secret",
            region_name="us-east-1",
        )
