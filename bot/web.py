"""The aiohttp app: Slack's one endpoint plus /health, /ready, /ping and /metrics."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from importlib.metadata import PackageNotFoundError, version

import aiohttp
from aiohttp import web
from arq.connections import ArqRedis
from loguru import logger
from redis.asyncio import ConnectionPool
from redis.exceptions import RedisError
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncApp
from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from bot import slack
from bot.heartbeat import live_workers
from bot.settings import Settings
from bot.slack.access import Reviewers
from bot.slack.calls import make_client
from bot.slack.payloads import payload_problem
from bot.stats import Stats
from bot.wiring import build_core

DEPS = web.AppKey("deps", slack.Deps)
REDIS = web.AppKey("redis", ArqRedis)
BOLT = web.AppKey("bolt", AsyncApp)
VERIFIER = web.AppKey("verifier", SignatureVerifier)
STARTED = web.AppKey("started", float)
MAX_BODY = 256 * 1024  # Slack's payloads are a few KB; anything near this is not Slack

try:
    VERSION = version("oma-video-bot")
except PackageNotFoundError:  # pragma: no cover - running from a plain checkout
    VERSION = "0+unknown"


def connect_redis(url: str) -> ArqRedis:
    """A lazily connecting client: no start-up failure while Redis is down, reconnects when back."""
    return ArqRedis(connection_pool=ConnectionPool.from_url(url, socket_connect_timeout=1, socket_timeout=2))


class _SkipTokenNotice(logging.Filter):
    """Bolt reads SLACK_BOT_TOKEN from the environment even when handed a client, then warns that
    it ignores it: the client carries that same token, so the notice is noise at every start."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != warning_client_prioritized_and_token_skipped()


def make_bolt(settings: Settings, deps: slack.Deps, client: AsyncWebClient) -> AsyncApp:
    """Bolt with OMA's listeners. Signatures are checked in `slack_events`, on the raw bytes,
    before Bolt parses anything; Socket Mode needs none (the WebSocket is authenticated)."""
    bolt_logger = logging.getLogger("slack_bolt.AsyncApp")
    bolt_logger.addFilter(_SkipTokenNotice())
    app = AsyncApp(client=client, request_verification_enabled=False, logger=bolt_logger)
    app.middleware(_check_payload)
    slack.register(app, deps)
    return app


async def _check_payload(body: dict, next, logger) -> BoltResponse | None:
    """Refuse a payload that lacks what its kind requires, before any listener indexes into it."""
    problem = payload_problem(body)
    if problem is not None:
        logger.warning("refused a malformed Slack payload: %s", problem)
        return BoltResponse(status=400, body=json.dumps({"error": "bad_payload", "message": problem}))
    return await next()


def create_app(*, settings: Settings) -> web.Application:
    """The web app; Redis and Slack clients open here and close on cleanup."""
    assert settings.redis_url, "REDIS_URL is required"
    redis = connect_redis(settings.redis_url)
    client = make_client(settings)
    core = build_core(settings, redis, client)
    deps = slack.Deps(settings, core, Stats(core.store, core.queue), Reviewers(settings))
    app = web.Application(client_max_size=MAX_BODY)
    app[DEPS], app[REDIS] = deps, redis
    app[BOLT] = make_bolt(settings, deps, client)
    if settings.slack_signing_secret is not None and settings.slack_signing_secret.get_secret_value():
        app[VERIFIER] = SignatureVerifier(settings.slack_signing_secret.get_secret_value())
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


def _refuse(status: int, error: str, message: str) -> web.Response:
    return web.json_response({"error": error, "message": message}, status=status)


async def slack_events(request: web.Request) -> web.Response:
    """Verify the signature on the raw bytes, then parse, then let Bolt route the payload."""
    body = await request.read()
    verifier = request.app.get(VERIFIER)
    if verifier is not None:
        ts = request.headers.get("X-Slack-Request-Timestamp", "")
        signature = request.headers.get("X-Slack-Signature")
        # slack-sdk's verifier raises on a timestamp that is not a number: check it first.
        if not ts.isdigit() or not verifier.is_valid(body, ts, signature):
            return _refuse(401, "invalid_signature", "The request is not signed by Slack, or is too old.")
    elif request.app[DEPS].settings.slack_app_token is None:
        return _refuse(401, "invalid_signature", "SLACK_SIGNING_SECRET is not set: HTTP events are refused.")
    try:
        text = body.decode("utf-8")
        bolt_request = AsyncBoltRequest(body=text, query=request.query_string, headers=dict(request.headers))
    except (UnicodeDecodeError, ValueError, TypeError, AttributeError, KeyError, IndexError) as exc:
        # Bolt parses JSON and form bodies as it builds the request: a signed body that is not
        # what it claims to be stops here, with a 400 and no traceback.
        logger.warning("refused an unparseable Slack request: {}", type(exc).__name__)
        return _refuse(400, "bad_request", "The body is not a Slack payload (JSON or form-encoded).")
    return await to_aiohttp_response(await request.app[BOLT].async_dispatch(bolt_request))


async def _redis_state(app: web.Application) -> dict:
    redis = app[REDIS]
    start = time.perf_counter()
    try:
        await asyncio.wait_for(redis.ping(), 2)
        latency = (time.perf_counter() - start) * 1000
        depth = await app[DEPS].core.queue.depth()
        workers = await live_workers(redis)
        arq_alive = bool(await redis.exists("arq:queue:health-check"))
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
        await asyncio.wait_for(request.app[REDIS].ping(), 2)
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
        totals = await request.app[DEPS].stats.totals()
        lines.append("# TYPE oma_tasks gauge")
        lines += [f'oma_tasks{{status="{k}"}} {v}' for k, v in sorted(totals["by_status"].items())]
    return web.Response(text="\n".join(lines) + "\n", content_type="text/plain")
