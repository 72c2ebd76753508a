"""`/video brand`: view and set the workspace's brand kit in a modal.

The logo and a font come through the modal's file inputs: Slack gives file ids, read with
files.info and downloaded from `url_private_download` with the bot token, then checked by
content (an image; a TrueType/OpenType font that loads). Only OMA_ADMINS (everyone when
none are set) may change the kit; anything wrong comes back as a field error in the modal.
"""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
from loguru import logger
from redis.exceptions import RedisError
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.brands import BrandStore
from bot.settings import Settings
from bot.slack import REDIS_DOWN, Deps
from bot.slack.brand_ui import BRAND_MODAL, ERROR_BLOCKS, brand_modal, read_brand
from bot.slack.calls import SLACK_FAILURES, describe
from bot.streams import read_capped
from pipeline.brand import (
    FONT_UPLOAD_MAX_BYTES,
    LOGO_MAX_BYTES,
    BrandError,
    inspect_font,
    inspect_logo,
    parse_brand,
)

DOWNLOAD_TIMEOUT = 2.0  # seconds: the modal's answer is due within Slack's 3


def may_change(settings: Settings, user: str) -> bool:
    return not settings.admins or user in settings.admins


def register(app: AsyncApp, deps: Deps) -> None:
    app.view(BRAND_MODAL)(on_brand_saved(deps))


async def open_brand(deps: Deps, command: dict[str, Any], client: AsyncWebClient) -> None:
    """Open the kit's modal for the command's workspace (already acknowledged)."""
    team = str(command.get("team_id") or "")
    kit = await BrandStore(deps.core.store.redis).get(team)
    view = brand_modal(kit, may_change(deps.settings, command["user_id"]))
    await client.views_open(trigger_id=command["trigger_id"], view=view)


class FileProblem(Exception):
    """An uploaded file could not be fetched or is too big; the message says why."""


async def fetch_file(
    client: AsyncWebClient, file_id: str, limit: int = LOGO_MAX_BYTES, what: str = "logo"
) -> tuple[str, bytes]:
    """(name, bytes) of an uploaded file of at most `limit` bytes, through files.info and its
    private download URL; `what` names it in the messages."""
    most = f"at most {limit // 2**20} MB"
    try:
        info = (await client.files_info(file=file_id)).get("file") or {}
    except SLACK_FAILURES as exc:
        raise FileProblem(f"Slack did not give the file ({describe(exc)}); try again") from exc
    size = int(info.get("size") or 0)
    if size > limit:
        raise FileProblem(f"the {what} is {size / 1e6:.1f} MB; {most}")
    url = info.get("url_private_download") or info.get("url_private")
    if not url:
        raise FileProblem("Slack gave no download link for the file; upload it again")
    headers = {"Authorization": f"Bearer {client.token}"}
    try:
        timeout = aiohttp.ClientTimeout(total=DOWNLOAD_TIMEOUT)
        async with (
            aiohttp.ClientSession(timeout=timeout) as session,
            session.get(url, headers=headers) as resp,
        ):
            if resp.status != 200:
                raise FileProblem(f"the download failed (HTTP {resp.status}); try again")
            data = await read_capped(resp.content, limit)
    except (TimeoutError, aiohttp.ClientError) as exc:
        raise FileProblem("the download from Slack did not finish; try again") from exc
    if data is None:
        raise FileProblem(f"the {what} is over {limit // 2**20} MB")
    return str(info.get("name") or ""), data


def _sentence(exc: Exception) -> str:
    """A field error as Slack shows it under the field: one capitalised sentence, at most 150."""
    text = str(exc)
    return (text[:1].upper() + text[1:])[:150]


def _errors(exc: BrandError) -> dict[str, str]:
    out: dict[str, str] = {}
    for field, message in exc.errors.items():
        out.setdefault(ERROR_BLOCKS.get(field, "name"), message[:150])
    return out


def on_brand_saved(deps: Deps):
    async def handle(ack, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient) -> None:
        user = body["user"]["id"]
        team = (body.get("team") or {}).get("id", "") if isinstance(body.get("team"), dict) else ""
        if not may_change(deps.settings, user):
            await ack(response_action="errors", errors={"name": "Only OMA admins can change the brand kit."})
            return
        form = read_brand(view)
        if form.errors:
            await ack(response_action="errors", errors=form.errors)
            return
        try:
            parse_brand(form.fields)
        except BrandError as exc:
            await ack(response_action="errors", errors=_errors(exc))
            return

        async def logo_file() -> tuple[str, bytes] | None:
            if not form.logo_ids:
                return None
            got = await fetch_file(client, form.logo_ids[0])
            inspect_logo(got[1])
            return got

        async def font_file() -> tuple[str, bytes] | None:
            if not form.font_ids:
                return None
            got = await fetch_file(client, form.font_ids[0], FONT_UPLOAD_MAX_BYTES, "font")
            inspect_font(got[1], FONT_UPLOAD_MAX_BYTES)
            return got

        # Both at once: one after the other, a logo and a font could outlast Slack's 3 s.
        fetched = await asyncio.gather(logo_file(), font_file(), return_exceptions=True)
        errors = {}
        for field, got in zip(("logo", "font_file"), fetched, strict=True):
            if isinstance(got, FileProblem | ValueError):
                errors[field] = _sentence(got)
            elif isinstance(got, BaseException):
                raise got
        if errors:
            await ack(response_action="errors", errors=errors)
            return
        logo, font = fetched
        store = BrandStore(deps.core.store.redis)
        try:
            await store.save(team, form.fields, user, logo, form.drop_logo, font, form.keep_font)
        except RedisError:
            await ack(response_action="errors", errors={"name": REDIS_DOWN[:150]})
            return
        await ack()
        logger.info("brand kit of {} set by {}", team, user)

    return handle
