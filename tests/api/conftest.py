"""The real web app with the HTTP API, a real Redis, the Slack emulator and API keys."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.api.keys import KeyStore
from bot.settings import Settings
from tests.api.support import ApiClient
from tests.bot.support import BOT_TOKEN, SECRET, serve
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
        rate_per_minute=20,
        rate_per_hour=100,
        webhook_allow_private=True,
        webhook_retry_seconds=5,
        _env_file=None,
    )


@pytest.fixture
async def keys(redis) -> KeyStore:
    return KeyStore(redis)


@pytest.fixture
async def api(settings: Settings, redis, keys: KeyStore) -> AsyncIterator[ApiClient]:
    """A client holding a fresh key; `api.as_key(...)` for another."""
    _record, token = await keys.create("tests")
    async with serve(settings) as web_client:
        yield ApiClient(web_client.base, web_client.session, token)
