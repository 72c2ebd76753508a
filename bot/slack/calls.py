"""Slack Web API calls, apart from decisions: a client that retries, and small helpers."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from bot.settings import Settings

# Errors that mean "the bot cannot post there"; the user is told how to fix it.
CANNOT_POST = {"not_in_channel", "channel_not_found", "is_archived", "restricted_action", "cannot_dm_bot"}


def make_client(settings: Settings, timeout: int = 30) -> AsyncWebClient:
    """A Web API client honouring Retry-After on 429 and retrying 5xx and connection errors."""
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    base = settings.slack_api_url if settings.slack_api_url.endswith("/") else settings.slack_api_url + "/"
    return AsyncWebClient(
        token=token,
        base_url=base,
        timeout=timeout,
        retry_handlers=[
            AsyncRateLimitErrorRetryHandler(max_retry_count=5),
            AsyncServerErrorRetryHandler(max_retry_count=3),
            AsyncConnectionErrorRetryHandler(max_retry_count=3),
        ],
    )


# What a Slack call raises once its retries are spent: an API error, or no answer at all.
SLACK_FAILURES = (SlackApiError, aiohttp.ClientError, asyncio.TimeoutError)


def describe(exc: BaseException) -> str:
    """A short, secret-free reason for a failed Slack call, for logs and the thread."""
    if not isinstance(exc, SlackApiError):
        return "no answer from Slack"
    code = error_code(exc)
    status = exc.response.status_code if exc.response is not None else 200
    return f"HTTP {status}" if code == "unknown_error" and status >= 400 else code


def error_code(exc: SlackApiError) -> str:
    data: Any = exc.response.data if exc.response is not None else {}
    return str(data.get("error", "unknown_error")) if isinstance(data, dict) else "unknown_error"


async def post(
    client: AsyncWebClient, channel: str, text: str, blocks=None, thread_ts: str | None = None
) -> str:
    resp = await client.chat_postMessage(channel=channel, text=text, blocks=blocks, thread_ts=thread_ts)
    return str(resp["ts"])


async def update(client: AsyncWebClient, channel: str, ts: str, text: str, blocks=None) -> None:
    await client.chat_update(channel=channel, ts=ts, text=text, blocks=blocks)


async def upload(
    client: AsyncWebClient,
    channel: str,
    thread_ts: str | None,
    path: Path,
    title: str,
    comment: str,
    extras: list[Path] = (),  # type: ignore[assignment]
) -> str:
    """Upload a file (and `extras` beside it, in the same message) into a thread with the external
    upload flow; returns the first file's id."""
    uploads = [
        {"file": str(p), "filename": p.name, "title": t}
        for p, t in [(path, title), *((e, e.name) for e in extras)]
    ]
    resp = await client.files_upload_v2(
        channel=channel, thread_ts=thread_ts, file_uploads=uploads, initial_comment=comment
    )
    files = resp.get("files") or [resp.get("file")]
    return str(files[0]["id"])
