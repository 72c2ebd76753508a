"""Session-wide real services: a redis-server of our own on a free loopback port."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.embedded_redis import EmbeddedRedis as RedisServer
from bot.embedded_redis import free_port

__all__ = ["RedisServer", "free_port"]


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()
