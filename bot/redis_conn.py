"""Redis connections from REDIS_URL, in one place: plain Redis (redis://, rediss://) or Redis Sentinel.

A Sentinel URL lists the sentinels, then the master's name and the database:
`redis+sentinel://[user:password@]h1:26379,h2:26379/mymaster/0` (`rediss+sentinel://` for TLS).
The credentials are the master's; the sentinels are asked without them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from arq.connections import ArqRedis, RedisSettings
from loguru import logger
from redis.asyncio import ConnectionPool
from redis.asyncio.retry import Retry
from redis.asyncio.sentinel import Sentinel
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

SENTINEL_SCHEMES = {"redis+sentinel": False, "rediss+sentinel": True}  # scheme -> TLS
SENTINEL_PORT = 26379


class RedisURLError(ValueError):
    """REDIS_URL names Sentinel but cannot be read; the message says what is wrong."""


@dataclass(frozen=True)
class SentinelTarget:
    """What a Sentinel URL says: where the sentinels are and which master, database and login to use."""

    sentinels: list[tuple[str, int]]
    master: str
    db: int = 0
    username: str | None = None
    password: str | None = None
    ssl: bool = False


def parse_sentinel_url(url: str) -> SentinelTarget | None:
    """The Sentinel target of a `redis+sentinel://` URL; None for any other URL."""
    scheme, _, rest = url.partition("://")
    if scheme not in SENTINEL_SCHEMES:
        return None
    netloc, _, path = rest.partition("/")
    path = path.split("?", 1)[0]
    userinfo, at, hosts = netloc.rpartition("@")
    username = password = None
    if at:
        user, colon, secret = userinfo.partition(":")
        username, password = (unquote(user) or None), (unquote(secret) if colon else None)
    sentinels = [_host_port(part) for part in hosts.split(",") if part]
    if not sentinels:
        raise RedisURLError("REDIS_URL names Sentinel but lists no sentinel host (h1:26379,h2:26379)")
    master, _, db = path.partition("/")
    if not master:
        raise RedisURLError("REDIS_URL names Sentinel but not the master: add its name, e.g. /mymaster/0")
    try:
        database = int(db.strip("/") or 0)
    except ValueError as exc:
        raise RedisURLError(f"REDIS_URL's database '{db}' is not a number") from exc
    return SentinelTarget(sentinels, unquote(master), database, username, password, SENTINEL_SCHEMES[scheme])


def _host_port(part: str) -> tuple[str, int]:
    if part.startswith("["):  # [::1]:26379
        host, _, port = part[1:].partition("]")
        port = port.lstrip(":")
    else:
        host, _, port = part.partition(":")
    try:
        return host, int(port or SENTINEL_PORT)
    except ValueError as exc:
        raise RedisURLError(f"REDIS_URL's sentinel port in '{part}' is not a number") from exc


def _sentinel(target: SentinelTarget, **options: Any) -> Sentinel:
    # The sentinels get the same socket timeouts, so a dead one is passed over just as quickly.
    timeouts = {k: v for k, v in options.items() if k.startswith("socket_")}
    return Sentinel(
        target.sentinels,
        db=target.db,
        username=target.username,
        password=target.password,
        ssl=target.ssl,
        sentinel_kwargs=timeouts,
        **options,
    )


# redis-py's connect raises the bare OSError of a refused connection inside its retry loop.
RETRY_ON = (RedisConnectionError, RedisTimeoutError, OSError)


def connect_redis(url: str) -> ArqRedis:
    """A lazily connecting client: no start-up failure while Redis is down, reconnects when back,
    and, like the worker's, each command rides out a Redis restart of about 15 s (work done after
    Slack's ack must not be lost to a blip). Callers that must answer fast bound their own wait.

    Through Sentinel every new connection asks the sentinels where the master is, so after a
    failover the same client reaches the promoted replica.
    """
    patience = {
        "retry": Retry(ExponentialBackoff(cap=2.0, base=0.2), retries=10),
        "retry_on_error": list(RETRY_ON),
    }
    target = parse_sentinel_url(url)
    if target is None:
        return ArqRedis(
            connection_pool=ConnectionPool.from_url(
                url, socket_connect_timeout=1, socket_timeout=2, **patience
            )
        )
    client = _sentinel(target, socket_connect_timeout=1, socket_timeout=2, **patience)
    return client.master_for(target.master, redis_class=ArqRedis)


def redis_settings(url: str) -> RedisSettings:
    """arq's connection settings; every command rides out a Redis restart of about 15 s.

    For Sentinel these are arq's own Sentinel settings. arq 0.28 gives its Sentinel pool neither
    `retry` nor `retry_on_error`, so a worker takes its connection from `worker_connection`.
    """
    target = parse_sentinel_url(url)
    if target is None:
        conf = RedisSettings.from_dsn(url)
    else:
        conf = RedisSettings(
            host=target.sentinels,
            sentinel=True,
            sentinel_master=target.master,
            database=target.db,
            username=target.username,
            password=target.password,
            ssl=target.ssl,
        )
    conf.retry = Retry(ExponentialBackoff(cap=2.0, base=0.2), retries=10)
    conf.retry_on_error = list(RETRY_ON)
    return conf


def worker_connection(url: str) -> dict[str, Any]:
    """arq.Worker's connection keywords: `redis_settings`, and for Sentinel a ready `redis_pool`.

    That pool is redis-py's Sentinel pool with retries, so a job's commands wait out a failover
    and reach the promoted replica instead of ending the worker's run.
    """
    conf = redis_settings(url)
    target = parse_sentinel_url(url)
    if target is None:
        return {"redis_settings": conf}
    # redis-py nests Sentinel retries: a connection retries the address it has before it asks the
    # sentinels again, and the command retries that. These short steps reach a promoted replica
    # within about 1.5 s of its promotion and still wait about 15 s in all for a Redis that is away.
    client = _sentinel(
        target,
        socket_connect_timeout=conf.conn_timeout,
        retry=Retry(ExponentialBackoff(cap=0.5, base=0.1), retries=5),
        retry_on_error=list(RETRY_ON),
    )
    return {"redis_settings": conf, "redis_pool": client.master_for(target.master, redis_class=ArqRedis)}


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


async def persistence(redis: Any) -> dict[str, str] | None:
    """Redis' `appendonly` and `save` settings; None when it will not say (CONFIG disabled, down)."""
    try:
        found = {**await redis.config_get("appendonly"), **await redis.config_get("save")}
    except (RedisError, OSError, TimeoutError):
        return None
    return {_text(k): _text(v) for k, v in found.items()}


async def warn_if_volatile(redis: Any) -> bool:
    """Log one warning when Redis keeps nothing on disk; True if it did."""
    found = await persistence(redis)
    if found is None or found.get("appendonly") != "no" or found.get("save", "").strip():
        return False
    logger.warning(
        "Redis keeps nothing on disk (appendonly no, no save points), so a Redis restart loses every "
        "queued job, review and task record: run it with appendonly yes (see the README's Deploy section)."
    )
    return True
