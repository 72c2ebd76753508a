"""The real web app over HTTP with signed requests, against the Slack emulator and a real Redis."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.settings import Settings
from tests.bot.support import BOT_TOKEN, SECRET, SignedClient, serve
from tests.fakes.slack_api import SlackEmulator


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


@pytest.fixture
async def web_client(settings: Settings, redis) -> AsyncIterator[SignedClient]:
    async with serve(settings) as client:
        yield client
