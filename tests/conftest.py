"""Real services for every test: a redis-server of our own on a free loopback port (a clean
database per test) and the Slack Web API emulator."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from redis.asyncio import Redis

from bot.embedded_redis import EmbeddedRedis as RedisServer
from bot.embedded_redis import free_port
from tests.fakes.pexels import FakePexels
from tests.fakes.server import ThreadedServer
from tests.fakes.slack_api import SlackEmulator

__all__ = ["RedisServer", "free_port"]


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
async def redis(redis_server: RedisServer) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_server.url)
    await client.flushdb()
    yield client
    await client.aclose()


@pytest.fixture
def slack() -> Iterator[SlackEmulator]:
    emu = SlackEmulator()
    with ThreadedServer(emu.app()) as server:
        emu.url = server.url
        yield emu


@pytest.fixture
def pexels(tmp_path: Path) -> Iterator[tuple[FakePexels, str]]:
    """A loopback Pexels and its URL."""
    fake = FakePexels(tmp_path / "served")
    with ThreadedServer(fake.app()) as server:
        yield fake, server.url
