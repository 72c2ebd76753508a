"""The real web app over HTTP with signed requests, against the Slack emulator and a real Redis."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import urlencode

import aiohttp
import pytest
from aiohttp import web
from redis.asyncio import Redis

from bot.settings import Settings
from bot.web import create_app
from tests.conftest import free_port
from tests.fakes.server import ThreadedServer
from tests.fakes.slack_api import SlackEmulator

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
BOT_TOKEN = "xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOpQrStUvWx"


@pytest.fixture
def slack() -> Iterator[SlackEmulator]:
    emu = SlackEmulator()
    with ThreadedServer(emu.app()) as server:
        emu.url = server.url
        yield emu


@pytest.fixture
async def redis(redis_server) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_server.url)
    await client.flushdb()
    yield client
    await client.aclose()


@pytest.fixture
def settings(slack: SlackEmulator, redis_server, tmp_path: Path) -> Settings:
    return Settings(
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SECRET,
        slack_api_url=slack.url + "/api/",
        redis_url=redis_server.url,
        work_dir=tmp_path / "work",
        output_dir=tmp_path / "out",
        video_height=240,
        progress_interval=0.2,
        rate_per_minute=5,
        rate_per_hour=30,
        admins=["UADMIN"],
        _env_file=None,
    )


class SignedClient:
    """Posts to /slack/events exactly as Slack does, signed with the signing secret."""

    def __init__(self, base: str, session: aiohttp.ClientSession) -> None:
        self.base, self.session = base, session

    @staticmethod
    def sign(body: str, ts: int | None = None, secret: str = SECRET) -> dict[str, str]:
        ts = int(time.time()) if ts is None else ts
        digest = hmac.new(secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
        return {
            "X-Slack-Request-Timestamp": str(ts),
            "X-Slack-Signature": f"v0={digest}",
            "Content-Type": "application/x-www-form-urlencoded",
        }

    async def raw(self, body: str, headers: dict[str, str]) -> aiohttp.ClientResponse:
        resp = await self.session.post(self.base + "/slack/events", data=body.encode(), headers=headers)
        await resp.read()
        return resp

    async def command(self, text: str = "", user: str = "U1", channel: str = "C1") -> aiohttp.ClientResponse:
        body = urlencode(
            {
                "command": "/video",
                "text": text,
                "user_id": user,
                "channel_id": channel,
                "team_id": "T1",
                "trigger_id": f"trig-{time.monotonic_ns()}",
                "response_url": "http://127.0.0.1:9/unused",
                "user_name": "u",
                "channel_name": "c",
            }
        )
        return await self.raw(body, self.sign(body))

    async def interactive(self, payload: dict) -> aiohttp.ClientResponse:
        body = urlencode({"payload": json.dumps(payload)})
        return await self.raw(body, self.sign(body))

    async def event(self, event: dict, event_id: str = "Ev1") -> aiohttp.ClientResponse:
        """An Events API callback carrying `event`, as JSON like Slack sends it."""
        body = json.dumps(
            {
                "type": "event_callback",
                "team_id": "T1",
                "api_app_id": "A1",
                "event_id": event_id,
                "event_time": 1,
                "event": event,
            }
        )
        return await self.raw(body, {**self.sign(body), "Content-Type": "application/json"})

    async def get(self, path: str) -> aiohttp.ClientResponse:
        resp = await self.session.get(self.base + path)
        await resp.read()
        return resp


@asynccontextmanager
async def serve(settings: Settings) -> AsyncIterator[SignedClient]:
    """The real web app for `settings` on a free loopback port, and a signed client for it."""
    runner = web.AppRunner(create_app(settings=settings), access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        async with aiohttp.ClientSession() as session:
            yield SignedClient(f"http://127.0.0.1:{port}", session)
    finally:
        await runner.cleanup()


@pytest.fixture
async def web_client(settings: Settings, redis) -> AsyncIterator[SignedClient]:
    async with serve(settings) as client:
        yield client


def submission(
    view_id: str = "VABC1", user: str = "U1", channel: str = "C1", skip: bool = True, **fields: str
) -> dict:
    """A view_submission payload for the briefing modal, as Slack sends it."""
    data = {
        "title": "Meet Nimbus",
        "description": "Nimbus keeps your files in sync. It works offline.",
        "duration": "15",
        "style": "modern",
        "tone": "friendly",
        "aspect": "16:9",
        **fields,
    }
    values = {
        k: {"value": {"type": "plain_text_input", "value": v}}
        for k, v in data.items()
        if k in ("title", "description", "duration")
    }
    for k in ("style", "tone", "aspect"):
        values[k] = {"value": {"type": "static_select", "selected_option": {"value": data[k]}}}
    values["options"] = {
        "value": {"type": "checkboxes", "selected_options": [{"value": "skip_review"}] if skip else []}
    }
    return {
        "type": "view_submission",
        "team": {"id": "T1"},
        "user": {"id": user},
        "api_app_id": "A1",
        "trigger_id": "trig-sub",
        "view": {
            "id": view_id,
            "type": "modal",
            "callback_id": "briefing",
            "team_id": "T1",
            "private_metadata": json.dumps({"channel": channel}),
            "state": {"values": values},
            "hash": "h",
        },
    }


def click(action: str, value: str, user: str = "U1") -> dict:
    """A block_actions payload for one button press, as Slack sends it."""
    return {
        "type": "block_actions",
        "user": {"id": user},
        "team": {"id": "T1"},
        "api_app_id": "A1",
        "trigger_id": "trig-click",
        "channel": {"id": "C1"},
        "container": {"type": "message"},
        "message": {
            "ts": "1.1",
            "blocks": [
                {"type": "section", "text": {"type": "mrkdwn", "text": "draft"}},
                {"type": "actions", "elements": []},
            ],
        },
        "actions": [{"action_id": action, "block_id": "b", "value": value, "type": "button"}],
    }
