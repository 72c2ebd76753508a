"""Helpers for the deploy tests: a real Sentinel set-up, a loopback Sentry receiver, linters."""

from __future__ import annotations

import asyncio
import gzip
import json
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import aiohttp
import redis
from aiohttp import web
from arq import worker as arq_worker
from loguru import logger as loguru_logger

from bot import error_reporting
from bot.embedded_redis import free_port, redis_binary
from bot.logs import setup_logging
from bot.redis_conn import connect_redis, worker_connection
from bot.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
MASTER = "mymaster"


def tool(name: str) -> str:
    """A linter installed by the `test` extra, beside this interpreter (or on PATH)."""
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.exists() else shutil.which(name)
    assert found, f"{name} is missing: pip install -e '.[test]'"
    return found


def wait_for(check: Callable[[], object], within: float, what: str) -> object:
    """Poll `check` until it returns something truthy; fail naming `what` after `within` seconds."""
    deadline = time.monotonic() + within
    while True:
        try:
            found = check()
        except (redis.RedisError, OSError):
            found = None
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


class SentinelSetup:
    """A master, one replica and one `redis-server --sentinel`, all real processes on loopback."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.master_port, self.replica_port, self.sentinel_port = free_port(), free_port(), free_port()
        self.procs: dict[str, subprocess.Popen] = {}

    def _server(self, name: str, port: int, *args: str) -> None:
        home = self.folder / name
        home.mkdir(parents=True, exist_ok=True)
        base = [redis_binary(), "--port", str(port), "--bind", "127.0.0.1", "--dir", str(home)]
        self.procs[name] = subprocess.Popen(
            [*base, "--save", "", "--appendonly", "no", *args],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis(port=port, socket_timeout=1)
        wait_for(client.ping, 10, f"{name} to answer")
        client.close()

    def start(self) -> None:
        # Redis 7 waits 5 s for more replicas before a diskless sync by default.
        self._server("master", self.master_port, "--repl-diskless-sync-delay", "0")
        self._server("replica", self.replica_port, "--replicaof", "127.0.0.1", str(self.master_port))
        replica = redis.Redis(port=self.replica_port, decode_responses=True)
        wait_for(lambda: replica.info("replication")["master_link_status"] == "up", 10, "replication")
        replica.close()
        # Sentinel rewrites its config file, so it gets one of its own. Tight timings: seconds, not minutes.
        conf = self.folder / "sentinel.conf"
        conf.write_text(
            f"port {self.sentinel_port}\nbind 127.0.0.1\ndir {self.folder}\n"
            f"sentinel monitor {MASTER} 127.0.0.1 {self.master_port} 1\n"
            f"sentinel down-after-milliseconds {MASTER} 1000\n"
            f"sentinel failover-timeout {MASTER} 3000\n"
            f"sentinel parallel-syncs {MASTER} 1\n"
            # Known from the start, not from Sentinel's first INFO round (up to 10 s).
            f"sentinel known-replica {MASTER} 127.0.0.1 {self.replica_port}\n"
        )
        self.procs["sentinel"] = subprocess.Popen(
            [redis_binary(), str(conf), "--sentinel"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        sentinel = self.sentinel_client()
        wait_for(lambda: sentinel.sentinel_slaves(MASTER), 15, "the sentinel to see the replica")
        sentinel.close()

    def sentinel_client(self) -> redis.Redis:
        return redis.Redis(port=self.sentinel_port, socket_timeout=1, decode_responses=True)

    def master_address(self) -> tuple[str, int]:
        sentinel = self.sentinel_client()
        try:
            host, port = sentinel.sentinel_get_master_addr_by_name(MASTER)
            return host, int(port)
        finally:
            sentinel.close()

    def kill_master(self) -> None:
        self.procs["master"].send_signal(signal.SIGKILL)
        self.procs["master"].wait(10)

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.terminate()
                proc.wait(10)


class SentryReceiver:
    """A loopback HTTP server that a Sentry DSN points at; keeps every envelope item it is sent."""

    def __init__(self) -> None:
        received = self.items = []  # (item header, raw payload bytes)
        self.bodies: list[bytes] = []
        bodies = self.bodies

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if self.headers.get("Content-Encoding") == "gzip":
                    body = gzip.decompress(body)
                bodies.append(body)
                received.extend(parse_envelope(body))
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def dsn(self) -> str:
        return f"http://publickey@127.0.0.1:{self.server.server_address[1]}/1"

    def events(self) -> list[dict]:
        return [json.loads(payload) for header, payload in self.items if header.get("type") == "event"]

    def __enter__(self) -> SentryReceiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def parse_envelope(body: bytes) -> list[tuple[dict, bytes]]:
    """Sentry's envelope: a header line, then items, each a header line and a payload."""
    lines = body.split(b"\n")
    items, i = [], 1
    while i < len(lines):
        if not lines[i].strip():
            i += 1
            continue
        header = json.loads(lines[i])
        length = header.get("length")
        if length is None:
            payload, i = lines[i + 1], i + 2
        else:
            start = sum(len(line) + 1 for line in lines[: i + 1])
            payload = body[start : start + length]
            rest = body[start + length :].lstrip(b"\n")
            lines, i = [b"", *rest.split(b"\n")], 1
        items.append((header, payload))
    return items


# What the Sentry test's worker process must never send: a token and a briefing's text.
TOKEN = "xoxb-2222222222-3333333333-SeNtRyNeVeRsEeSmE"
TITLE = "Quarterly launch of Project Nightjar"
DESCRIPTION = "Confidential: the Nightjar price drops to 12 euros on 3 March.\nTell nobody before then."


# Jobs of the Sentry test's worker (module level: arq names a job by its function's qualified name).
async def render(ctx: dict, task_id: str) -> None:
    error_reporting.keep_private(TITLE, DESCRIPTION)
    raise RuntimeError(f"render of {TITLE!r} failed (token {TOKEN}): {DESCRIPTION}")


async def revise(ctx: dict, task_id: str) -> None:
    error_reporting.keep_private(TITLE, DESCRIPTION)
    try:
        raise ValueError(f"scene 2 of {DESCRIPTION!r} has no headline")
    except ValueError:
        loguru_logger.exception("unexpected failure in {}", TITLE)


async def deliver(ctx: dict, task_id: str) -> str:
    error_reporting.keep_private(TITLE, DESCRIPTION)
    loguru_logger.info("delivered {}", TITLE)
    return "ok"


def report_failures(redis_url: str, dsn: str) -> None:
    """Run in its own process: a worker whose jobs fail, and a web app whose handler fails.

    One job raises; one catches and logs the error (as bot.worker does); one succeeds; one
    POST to the web app fails. Each failure should reach Sentry once, scrubbed.
    """
    settings = Settings(
        slack_bot_token=TOKEN, sentry_dsn=dsn, redis_url=redis_url, log_format="text", _env_file=None
    )
    setup_logging(settings)
    assert error_reporting.init_error_reporting(settings, "worker")

    async def enqueue() -> None:
        pool = connect_redis(redis_url)
        for name in ("render", "revise", "deliver"):
            await pool.enqueue_job(name, "t1", _job_id=f"{name}-1")
        await pool.aclose()

    asyncio.run(enqueue())
    # Through arq's create_worker, looked up at call time: sentry-sdk wraps the jobs there.
    worker = arq_worker.create_worker(
        {"functions": [render, revise, deliver], **worker_connection(redis_url)},
        burst=True,
        handle_signals=False,
        max_tries=1,
        poll_delay=0.05,
    )
    worker.run()

    async def failing(request: web.Request) -> web.Response:
        form = await request.post()
        error_reporting.keep_private(str(form["description"]))
        raise RuntimeError("the submission handler failed")

    async def post_once() -> None:
        app = web.Application()
        app.router.add_post("/slack/events", failing)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        async with aiohttp.ClientSession() as session:
            url = f"http://127.0.0.1:{port}/slack/events?token={TOKEN}"
            async with session.post(url, data={"description": DESCRIPTION, "token": TOKEN}) as resp:
                assert resp.status == 500
        await runner.cleanup()

    asyncio.run(post_once())
    import sentry_sdk

    sentry_sdk.flush(10)
