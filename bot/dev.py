"""`oma dev`: web routes, the worker and (without REDIS_URL) an embedded Redis, in one command."""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path

import arq.worker
from aiohttp import web
from loguru import logger

from bot.embedded_redis import DEV_FOLDER, EmbeddedRedis
from bot.runner import preflight
from bot.settings import Settings
from bot.web import BOLT, create_app
from bot.worker import close_worker, worker_settings


def _mode(settings: Settings, team: str) -> str:
    base = f"http://127.0.0.1:{settings.port}"
    if not settings.slack_configured():
        return (
            f"HTTP API only (Slack not configured) at {base}/api/v1 (docs at {base}/api/v1/docs; "
            "make a key with `oma api-key create --name me`)"
        )
    mode = "Socket Mode" if settings.slack_app_token else f"HTTP on port {settings.port} (/slack/events)"
    return f"{mode}; workspace {team}; health {base}/health"


async def dev(settings: Settings, folder: Path = DEV_FOLDER) -> int:
    embedded: EmbeddedRedis | None = None
    if not settings.redis_url:
        embedded = EmbeddedRedis(folder, persist=True)
        embedded.start()
        settings = settings.model_copy(update={"redis_url": embedded.url})
    runner: web.AppRunner | None = None
    worker: arq.worker.Worker | None = None
    try:
        team = await preflight(settings)
        app = create_app(settings=settings)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        # Only Slack's HTTP mode needs to be reached from outside; the rest stays on this machine.
        public = settings.slack_configured() and not settings.slack_app_token
        await web.TCPSite(runner, "0.0.0.0" if public else "127.0.0.1", settings.port).start()
        redis = f"embedded at {settings.redis_url}" if embedded else settings.redis_url
        print(f"OMA dev: {_mode(settings, team)}; Redis {redis}", file=sys.stderr, flush=True)
        if settings.slack_app_token:
            from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler

            await AsyncSocketModeHandler(
                app[BOLT], settings.slack_app_token.get_secret_value()
            ).connect_async()
        worker = arq.worker.create_worker(worker_settings(settings), handle_signals=False)
        work = asyncio.create_task(worker.async_run())
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await asyncio.wait([work, asyncio.create_task(stop.wait())], return_when=asyncio.FIRST_COMPLETED)
        logger.info("stopping: a running job is cancelled and re-queued for the next start")
        return 0
    finally:
        if worker is not None:
            await close_worker(worker, cancel=True)  # a stop re-queues the running job
        if runner is not None:
            await runner.cleanup()
        if embedded is not None:
            embedded.stop()
