"""What the web benchmarks run against: a redis-server, the Slack emulator, and the real bot
processes (`python -m bot web`, `python -m bot worker`) started as in production."""

from __future__ import annotations

import asyncio
import os
import shutil
import statistics
import sys
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import aiohttp
from redis.asyncio import Redis

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.bot.support import SECRET, SignedClient  # noqa: E402
from tests.conftest import RedisServer, free_port  # noqa: E402
from tests.fakes.server import ThreadedServer  # noqa: E402
from tests.fakes.slack_api import SlackEmulator  # noqa: E402


@dataclass
class Stack:
    folder: Path
    redis: RedisServer
    slack: SlackEmulator
    port: int
    client: SignedClient
    web_log: Path
    web_pid: int = 0

    def web_cpu(self) -> float:
        """CPU seconds (user + system) the web process has used so far: unlike latency, a
        figure the other work on a shared machine barely moves."""
        fields = Path(f"/proc/{self.web_pid}/stat").read_text().rpartition(")")[2].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def env(self, **extra: str) -> dict[str, str]:
        env = {
            k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "REDIS_", "OMA_", "OPENAI_"))
        }
        env.update(
            {
                "SLACK_BOT_TOKEN": "xoxb-1-2-bench",
                "SLACK_SIGNING_SECRET": SECRET,
                "SLACK_API_URL": self.slack.url + "/api/",
                "REDIS_URL": self.redis.url,
                "PORT": str(self.port),
                "OMA_RATE_PER_MINUTE": "1000000",
                "OMA_RATE_PER_HOUR": "1000000",
                "OMA_LOG_LEVEL": "WARNING",
                "OMA_LOG_FORMAT": "text",
                "OMA_WORK_DIR": str(self.folder / "work"),
                "OMA_OUTPUT_DIR": str(self.folder / "out"),
                **extra,
            }
        )
        return env

    async def start_worker(self, cpu: int | None, log: Path, **extra: str) -> asyncio.subprocess.Process:
        """A `python -m bot worker` process, pinned to one CPU (and its ffmpeg children with it)."""
        pin = ["taskset", "-c", str(cpu)] if cpu is not None else []
        return await asyncio.create_subprocess_exec(
            *pin, sys.executable, "-m", "bot", "worker", env=self.env(**extra), stderr=log.open("w"), cwd=ROOT
        )

    @asynccontextmanager
    async def redis_client(self) -> AsyncIterator[Redis]:
        client = Redis.from_url(self.redis.url)
        try:
            yield client
        finally:
            await client.aclose()

    def errors_logged(self, *logs: Path) -> list[str]:
        return [
            line
            for log in (self.web_log, *logs)
            for line in log.read_text().splitlines()
            if " ERROR " in line or line.startswith("Traceback")
        ]


@asynccontextmanager
async def stack(**web_env: str) -> AsyncIterator[Stack]:
    """Redis, the emulator and the web app as its own process; everything stopped after."""
    folder = Path(tempfile.mkdtemp(prefix="oma-bench-"))
    redis = RedisServer(folder / "redis")
    redis.start()
    emulator = SlackEmulator()
    web = None
    try:
        with ThreadedServer(emulator.app()) as slack:
            emulator.url = slack.url
            port = free_port()
            async with aiohttp.ClientSession() as session:
                s = Stack(
                    folder,
                    redis,
                    emulator,
                    port,
                    SignedClient(f"http://127.0.0.1:{port}", session),
                    folder / "web.log",
                )
                web = await asyncio.create_subprocess_exec(
                    sys.executable,
                    "-m",
                    "bot",
                    "web",
                    env=s.env(**web_env),
                    stderr=s.web_log.open("w"),
                    cwd=ROOT,
                )
                s.web_pid = web.pid
                await _wait_ready(session, port)
                yield s
    finally:
        if web is not None and web.returncode is None:
            web.terminate()
            await web.wait()
        redis.stop()
        shutil.rmtree(folder, ignore_errors=True)


async def _wait_ready(session: aiohttp.ClientSession, port: int) -> None:
    for _ in range(400):
        try:
            async with session.get(f"http://127.0.0.1:{port}/ready") as resp:
                if resp.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.05)
    raise RuntimeError("the web app did not start")


def load() -> str:
    """The machine's 1-minute load average and its CPU count, to read the latencies by."""
    return f"load {Path('/proc/loadavg').read_text().split()[0]} on {os.cpu_count()} CPUs"


def percentiles(latencies_ms: list[float]) -> str:
    q = statistics.quantiles(latencies_ms, n=100)
    return f"p50 {q[49]:.1f} ms | p99 {q[98]:.1f} ms | max {max(latencies_ms):.1f} ms"
