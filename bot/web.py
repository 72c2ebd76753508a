"""The aiohttp app: Slack's one endpoint, the HTTP API (bot/api), /health, /ready, /ping and /metrics."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import re
import time
import uuid
from importlib.metadata import PackageNotFoundError, version

import aiohttp
from aiohttp import web
from arq.connections import ArqRedis
from loguru import logger
from redis.exceptions import RedisError
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncApp
from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.web.async_client import AsyncWebClient

from bot import api, slack
from bot.api.errors import REQUEST_ID
from bot.api.metrics import exposition
from bot.doctor import backends_summary
from bot.redis_conn import connect_redis
from bot.settings import Settings
from bot.slack.access import Reviewers
from bot.slack.calls import make_client
from bot.slack.payloads import payload_problem
from bot.stats import Stats
from bot.wiring import build_core

DEPS = web.AppKey("deps", slack.Deps)
REDIS = web.AppKey("redis", ArqRedis)
BOLT = web.AppKey("bolt", AsyncApp)
SIGNING_SECRET = web.AppKey("signing_secret", bytes)
MAX_AGE = 300  # seconds: Slack's replay window
STARTED = web.AppKey("started", float)
MAX_BODY = 256 * 1024  # Slack's payloads are a few KB; anything near this is not Slack

try:
    VERSION = version("oma-video-bot")
except PackageNotFoundError:  # pragma: no cover - running from a plain checkout
    VERSION = "0+unknown"


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
    slack.register(app, deps)
    return app


def create_app(*, settings: Settings) -> web.Application:
    """The web app; Redis and Slack clients open here and close on cleanup."""
    assert settings.redis_url, "REDIS_URL is required"
    redis = connect_redis(settings.redis_url)
    client = make_client(settings)
    core = build_core(settings, redis, client)
    deps = slack.Deps(settings, core, Stats(core.store, core.queue), Reviewers(settings))
    app = web.Application(client_max_size=MAX_BODY, middlewares=[request_context])
    app[DEPS], app[REDIS] = deps, redis
    if settings.slack_configured():
        app[BOLT] = make_bolt(settings, deps, client)
    if settings.slack_signing_secret is not None and settings.slack_signing_secret.get_secret_value():
        app[SIGNING_SECRET] = settings.slack_signing_secret.get_secret_value().encode()
    app[STARTED] = time.time()
    app.router.add_post("/slack/events", slack_events if BOLT in app else slack_off)
    app.router.add_get("/health", health)
    app.router.add_get("/ready", ready)
    app.router.add_get("/ping", ping)
    app.router.add_get("/metrics", metrics)
    api.register(app, deps)

    async def open_slack(_app: web.Application) -> None:
        # One HTTP session for every Web API call: without it slack-sdk opens (and, against
        # Slack, TLS-handshakes) a new connection per call. Bolt's per-request clients share it.
        client.session = aiohttp.ClientSession()

    async def close(_app: web.Application) -> None:
        await redis.aclose()
        if client.session is not None:
            await client.session.close()

    app.on_startup.append(open_slack)
    app.on_cleanup.append(close)
    return app


SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")


def request_id(request: web.Request) -> str:
    """The caller's X-Request-ID when it is a sane token, else a new one."""
    given = request.headers.get("X-Request-ID", "")
    return given if SANE_REQUEST_ID.fullmatch(given) else uuid.uuid4().hex[:16]


@web.middleware
async def request_context(request: web.Request, handler) -> web.StreamResponse:
    """Every request: its id on every log line and on the response, one access line in loguru,
    and an unexpected error logged with its traceback but answered as plain JSON."""
    rid = request_id(request)
    request[REQUEST_ID] = rid
    started = time.perf_counter()
    with logger.contextualize(request=rid):
        try:
            response = await handler(request)
        except web.HTTPException as exc:  # aiohttp's own 404s and 405s, raised as it expects
            exc.headers["X-Request-ID"] = rid
            _access(request, exc.status, started)
            raise
        except Exception:
            logger.exception("unhandled error on {} {}", request.method, request.path)
            response = _refuse(500, "internal_error", "Something went wrong on our side; it has been logged.")
        response.headers["X-Request-ID"] = rid
        _access(request, response.status, started)
    return response


def _access(request: web.Request, status: int, started: float) -> None:
    took = (time.perf_counter() - started) * 1000
    logger.info("{} {} {} {:.1f} ms", request.method, request.path, status, took)


def signed_by_slack(secret: bytes, body: bytes, headers) -> bool:
    """Slack's v0 scheme on the raw bytes: HMAC-SHA256 of `v0:{timestamp}:{body}`, at most five
    minutes old. Nothing is decoded first (slack-sdk's verifier decodes the body as UTF-8)."""
    ts = headers.get("X-Slack-Request-Timestamp", "")
    given = headers.get("X-Slack-Signature", "")
    if not ts.isdigit() or abs(time.time() - int(ts)) > MAX_AGE:
        return False
    digest = hmac.new(secret, b"v0:" + ts.encode() + b":" + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(f"v0={digest}", given)


def _refuse(status: int, error: str, message: str) -> web.Response:
    return web.json_response({"error": error, "message": message}, status=status)


async def slack_off(request: web.Request) -> web.Response:
    """/slack/events on a server without Slack settings (the HTTP API only)."""
    return _refuse(404, "slack_not_configured", "Slack is not configured on this server (SLACK_BOT_TOKEN).")


async def slack_events(request: web.Request) -> web.Response:
    """Verify the signature on the raw bytes, then parse, then let Bolt route the payload."""
    body = await request.read()
    secret = request.app.get(SIGNING_SECRET)
    if secret is not None:
        if not signed_by_slack(secret, body, request.headers):
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
    # Bolt's own middleware indexes into the payload before any listener runs: a payload that
    # lacks what its kind carries is refused here, with the field named.
    if (problem := payload_problem(bolt_request.body)) is not None:
        logger.warning("refused a malformed Slack payload: {}", problem)
        return _refuse(400, "bad_payload", problem)
    return await to_aiohttp_response(await request.app[BOLT].async_dispatch(bolt_request))


async def _redis_state(app: web.Application) -> dict:
    redis = app[REDIS]
    start = time.perf_counter()
    try:
        await asyncio.wait_for(redis.ping(), 2)
        latency = (time.perf_counter() - start) * 1000
        depth, workers = await app[DEPS].core.queue.depth_and_workers()
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
        "backends": backends_summary(request.app[DEPS].settings),  # no keys
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
    """Prometheus text from prometheus_client: request latency per route, the live gauges, and
    the worker's histograms and counters, which it keeps in Redis (bot/api/metrics.py)."""
    state = await _redis_state(request.app)
    up = state["redis"]["status"] == "ok"
    gauges: dict = {"oma_redis_up": ("1 when Redis answers", {(): float(up)}, [])}
    if up:
        gauges["oma_queue_depth"] = ("Jobs waiting in the queue", {(): state["queue"]["depth"]}, [])
        gauges["oma_workers_alive"] = ("Workers with a fresh heartbeat", {(): state["workers"]["alive"]}, [])
        gauges["oma_redis_latency_ms"] = ("Redis PING time", {(): state["redis"]["latency_ms"]}, [])
        totals = await request.app[DEPS].stats.totals()
        by_status = {(k,): v for k, v in sorted(totals["by_status"].items())}
        gauges["oma_tasks"] = ("Recent tasks by status", by_status, ["status"])
    return await exposition(request.app[REDIS] if up else None, gauges)
