"""Process entry points: web (HTTP or Socket Mode) and worker."""

from __future__ import annotations

import asyncio
import gc

import arq.worker
from aiohttp import web
from loguru import logger
from redis.exceptions import RedisError

from bot.doctor import log_backends
from bot.error_reporting import init_error_reporting
from bot.logs import setup_logging
from bot.preflight import redis_answers, slack_workspace
from bot.settings import Settings, SettingsError
from bot.web import BOLT, create_app
from bot.worker import run_until_stopped, worker_settings


def run(command: str, settings: Settings) -> int:
    if command == "dev" and settings.log_format == "auto":  # someone is reading the terminal
        settings = settings.model_copy(update={"log_format": "text"})
    setup_logging(settings)
    init_error_reporting(settings, command)  # after logging: it adds its own loguru sink
    log_backends(settings)  # which backend and model each agent uses
    if not settings.redis_url and command != "dev":
        raise SettingsError("REDIS_URL is missing: point it at your Redis, e.g. redis://127.0.0.1:6379/0.")
    if command in ("web", "worker", "dev"):
        if settings.slack_configured():
            settings.require_slack()  # half a Slack set-up is a mistake worth stopping for
        else:
            logger.info("Slack: not configured (no SLACK_BOT_TOKEN): serving the HTTP API only")
    if command == "web":
        asyncio.run(preflight(settings))
        asyncio.run(serve_web(settings))
        return 0
    if command == "worker":
        asyncio.run(preflight(settings))
        run_worker(settings)
        return 0
    if command == "dev":
        from bot.dev import dev

        return asyncio.run(dev(settings))
    raise SettingsError(f"unknown command '{command}'")


async def preflight(settings: Settings) -> str:
    """Redis (when REDIS_URL is set) and Slack (when configured) answer; the workspace's name
    ("" without Slack). Else one sentence."""
    if settings.redis_url:
        await redis_answers(settings.redis_url)
    return await slack_workspace(settings) if settings.slack_configured() else ""


def run_worker(settings: Settings, pause: float = 5.0) -> None:
    """Run the arq worker; when Redis stays away past the commands' own retries, start it again.

    A deploy's SIGTERM ends the loop; losing Redis does not end the process.
    """
    stopped: list[object] = []
    while not stopped:
        # create_worker, looked up at call time: sentry-sdk's arq integration wraps it to report jobs.
        worker = arq.worker.create_worker(worker_settings(settings))
        worker.on_stop = stopped.append
        try:
            worker.loop.run_until_complete(run_until_stopped(worker))
            return
        except (RedisError, OSError) as exc:
            logger.error("lost Redis ({}); starting the worker again in {:.0f} s", exc, pause)
        worker.loop.run_until_complete(asyncio.sleep(pause))


async def serve_web(settings: Settings) -> None:
    app = create_app(settings=settings)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    # What is alive now (modules, pydantic's and Bolt's schemas, the app: ~150k objects) lives
    # as long as the process. Frozen, the collector stops walking it at every full collection,
    # which otherwise paused every request in flight for ~80 ms a few times a minute under load.
    gc.collect()
    gc.freeze()
    await web.TCPSite(runner, "0.0.0.0", settings.port).start()
    logger.info("web app on port {}", settings.port)
    if settings.slack_app_token:
        from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler

        handler = AsyncSocketModeHandler(app[BOLT], settings.slack_app_token.get_secret_value())
        logger.info("connecting to Slack in Socket Mode")
        await handler.connect_async()
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()
