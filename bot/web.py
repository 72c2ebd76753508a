"""The aiohttp app: Slack's one endpoint plus /health, /ready, /ping and /metrics."""

from __future__ import annotations

import asyncio
import time
from importlib.metadata import PackageNotFoundError, version

import aiohttp
from aiohttp import web
from arq.connections import ArqRedis
from redis.asyncio import ConnectionPool
from redis.exceptions import RedisError
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp

from bot import listeners
from bot.ratelimit import RateLimiter
from bot.settings import Settings
from bot.slack_ops import make_client
from bot.tasks import TaskStore

DEPS = web.AppKey("deps", listeners.Deps)
BOLT = web.AppKey("bolt", AsyncApp)
STARTED = web.AppKey("started", float)
MAX_BODY = 256 * 1024  # Slack's payloads are a few KB; anything near this is not Slack

try:
    VERSION = version("oma-video-bot")
except PackageNotFoundError:  # pragma: no cover - running from a plain checkout
    VERSION = "0+unknown"


def connect_redis(url: str) -> ArqRedis:
    """A lazily connecting client: no start-up failure while Redis is down, reconnects when back."""
    return ArqRedis(connection_pool=ConnectionPool.from_url(url, socket_connect_timeout=1, socket_timeout=2))


def make_bolt(settings: Settings, deps: listeners.Deps) -> AsyncApp:
    secret = settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else None
    app = AsyncApp(
        client=make_client(settings),
        signing_secret=secret,
        request_verification_enabled=secret is not None,
    )
    listeners.register(app, deps)
    return app


def create_app(*, settings: Settings) -> web.Application:
    """The web app; Redis and Slack clients open here and close on cleanup."""
    assert settings.redis_url, "REDIS_URL is required"
    redis = connect_redis(settings.redis_url)
    deps = listeners.Deps(
        settings=settings,
        redis=redis,
        store=TaskStore(redis, int(settings.result_ttl_days * 86400)),
        limiter=RateLimiter(redis, settings.rate_per_minute, settings.rate_per_hour),
    )
    app = web.Application(client_max_size=MAX_BODY)
    app[DEPS] = deps
    app[BOLT] = make_bolt(settings, deps)
    app[STARTED] = time.time()
    app.router.add_post("/slack/events", slack_events)
    app.router.add_get("/health", health)
    app.router.add_get("/ready", ready)
    app.router.add_get("/ping", ping)
    app.router.add_get("/metrics", metrics)

    async def open_slack(_app: web.Application) -> None:
        # One HTTP session for every Web API call: without it slack-sdk opens (and, against
        # Slack, TLS-handshakes) a new connection per call. Bolt's per-request clients share it.
        app[BOLT].client.session = aiohttp.ClientSession()

    async def close(_app: web.Application) -> None:
        await redis.aclose()
        if app[BOLT].client.session is not None:
            await app[BOLT].client.session.close()

    app.on_startup.append(open_slack)
    app.on_cleanup.append(close)
    return app


async def slack_events(request: web.Request) -> web.Response:
    bolt_request = await to_bolt_request(request)
    return await to_aiohttp_response(await request.app[BOLT].async_dispatch(bolt_request))


async def _redis_state(app: web.Application) -> dict:
    deps = app[DEPS]
    start = time.perf_counter()
    try:
        await asyncio.wait_for(deps.redis.ping(), 2)
        latency = (time.perf_counter() - start) * 1000
        depth = await deps.redis.zcard("arq:queue")
        workers = await listeners.live_workers(deps.redis)
        arq_alive = bool(await deps.redis.exists("arq:queue:health-check"))
    except (RedisError, OSError, TimeoutError):
        return {"redis": {"status": "down"}}
    return {
        "redis": {"status": "ok", "latency_ms": round(latency, 2)},
        "queue": {"depth": depth},
        "workers": {"alive": workers, "arq_health_check": arq_alive},
    }


async def health(request: web.Request) -> web.Response:
    components = await _redis_state(request.app)
    if components["redis"]["status"] != "ok":
        status, code = "down", 503
    elif components["workers"]["alive"] == 0:
        status, code = "degraded", 200
    else:
        status, code = "ok", 200
    body = {
        "status": status,
        "version": VERSION,
        "uptime_s": round(time.time() - request.app[STARTED], 1),
        "components": components,
    }
    return web.json_response(body, status=code)


async def ready(request: web.Request) -> web.Response:
    try:
        await asyncio.wait_for(request.app[DEPS].redis.ping(), 2)
    except (RedisError, OSError, TimeoutError):
        return web.json_response({"ready": False}, status=503)
    return web.json_response({"ready": True})


async def ping(_request: web.Request) -> web.Response:
    return web.Response(text="pong")


async def metrics(request: web.Request) -> web.Response:
    state = await _redis_state(request.app)
    up = int(state["redis"]["status"] == "ok")
    lines = ["# TYPE oma_redis_up gauge", f"oma_redis_up {up}"]
    if up:
        lines += [
            "# TYPE oma_queue_depth gauge",
            f"oma_queue_depth {state['queue']['depth']}",
            "# TYPE oma_workers_alive gauge",
            f"oma_workers_alive {state['workers']['alive']}",
            "# TYPE oma_redis_latency_ms gauge",
            f"oma_redis_latency_ms {state['redis']['latency_ms']}",
        ]
        totals = await listeners.task_totals(request.app[DEPS])
        lines.append("# TYPE oma_tasks gauge")
        lines += [f'oma_tasks{{status="{k}"}} {v}' for k, v in sorted(totals["by_status"].items())]
    return web.Response(text="\n".join(lines) + "\n", content_type="text/plain")
