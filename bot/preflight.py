"""Start-up checks: Slack and Redis answer, or the process stops with one plain sentence."""

from __future__ import annotations

import asyncio
import json
from urllib.parse import urlsplit, urlunsplit

import aiohttp
from redis.exceptions import RedisError
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from bot.redis_conn import RedisURLError, connect_redis, warn_if_volatile
from bot.settings import Settings, SettingsError
from bot.slack.calls import error_code

TOKEN_HELP = {
    "invalid_auth": "SLACK_BOT_TOKEN was rejected by Slack",
    "not_authed": "SLACK_BOT_TOKEN is missing",
    "account_inactive": "SLACK_BOT_TOKEN belongs to a deleted app or user",
    "token_revoked": "SLACK_BOT_TOKEN was revoked",
}
TIMEOUT = 5


class Unreachable(SettingsError):
    """A service the process needs does not answer, or not as that service would."""


async def slack_workspace(settings: Settings) -> str:
    """auth.test once, with no retries: the workspace's name, or Unreachable / SettingsError."""
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    base = settings.slack_api_url.rstrip("/") + "/"
    async with aiohttp.ClientSession() as session:
        client = AsyncWebClient(
            token=token, base_url=base, timeout=TIMEOUT, session=session, retry_handlers=[]
        )
        try:
            resp = await client.auth_test()
        except SlackApiError as exc:
            code = error_code(exc)
            if code in TOKEN_HELP:
                raise SettingsError(
                    f"{TOKEN_HELP[code]}. Copy the Bot User OAuth Token (xoxb-...) from 'OAuth & "
                    "Permissions' of the app you created from manifest.yml into .env."
                ) from exc
            status = exc.response.status_code if exc.response is not None else 0
            raise Unreachable(
                f"Slack's Web API at {base} answered auth.test with an error ({code}, HTTP {status}); "
                "check SLACK_API_URL."
            ) from exc
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            raise Unreachable(
                f"Slack's Web API at {base} could not be reached ({_why(exc)}); check the network, "
                "any proxy, and SLACK_API_URL."
            ) from exc
        except (SlackClientError, json.JSONDecodeError, ValueError) as exc:
            raise Unreachable(
                f"{base} does not answer as Slack's Web API does (auth.test returned no Slack JSON); "
                "check SLACK_API_URL."
            ) from exc
    return str(resp.get("team") or "your workspace")


async def redis_answers(url: str) -> None:
    """PING once within a few seconds, or Unreachable naming the URL (its password hidden); a
    warning when Redis keeps nothing on disk (a restart would lose every queued job)."""
    try:
        client = connect_redis(url)
    except RedisURLError as exc:
        raise SettingsError(str(exc)) from exc
    try:
        await asyncio.wait_for(client.ping(), TIMEOUT)
        await warn_if_volatile(client)
    except (RedisError, OSError, TimeoutError) as exc:
        raise Unreachable(
            f"Redis at {hide_password(url)} could not be reached ({_why(exc)}); start it or fix REDIS_URL."
        ) from exc
    finally:
        await client.aclose()


def hide_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username or ''}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def _why(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError | asyncio.TimeoutError):
        return f"no answer within {TIMEOUT} s"
    text = str(exc).split("\n")[0].strip()
    return text[:120] if text else type(exc).__name__
