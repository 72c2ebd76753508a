"""`/video` and its words: the briefing form, help, list, status, cancel, stats."""

from __future__ import annotations

import asyncio
from typing import Any

from loguru import logger
from redis.exceptions import RedisError
from slack_sdk.web.async_client import AsyncWebClient

from bot.brands import BrandStore
from bot.service import TaskError
from bot.slack import ACK_REDIS_SECONDS, REDIS_DOWN, Deps, brand, ui
from bot.slack.access import may_act

WORDS = ("help", "list", "status", "cancel", "stats", "brand")


def on_video(deps: Deps):
    async def handle(ack, command: dict[str, Any], client: AsyncWebClient) -> None:
        text = (command.get("text") or "").strip()
        word, _, rest = text.partition(" ")
        word, rest = word.lower(), rest.strip()
        if word not in WORDS:
            await ack()
            has_brand = await _has_brand(deps, command)
            view = ui.briefing_modal(command["channel_id"], "" if word in ("", "new") else text, has_brand)
            await client.views_open(trigger_id=command["trigger_id"], view=view)
            return
        if word == "brand":
            await ack()
            await brand.open_brand(deps, command, client)
            return
        if word == "help":
            await ack(text="OMA help", blocks=ui.help_blocks())
            return
        try:
            async with asyncio.timeout(ACK_REDIS_SECONDS):
                blocks = await _answer(deps, word, rest, command["user_id"])
        except (RedisError, TimeoutError):
            logger.warning("redis unreachable during /video {}", word)
            await ack(text=REDIS_DOWN)
            return
        await ack(text="OMA", blocks=blocks)

    return handle


async def _has_brand(deps: Deps, command: dict[str, Any]) -> bool:
    try:
        async with asyncio.timeout(ACK_REDIS_SECONDS):
            return await BrandStore(deps.core.store.redis).exists(str(command.get("team_id") or ""))
    except (RedisError, TimeoutError):
        return False  # the form still opens; the submission reports Redis being down


async def _answer(deps: Deps, word: str, arg: str, user: str) -> ui.Blocks:
    store = deps.core.store
    if word == "list":
        return ui.list_blocks(await store.for_user(user))
    if word == "stats":
        return ui.stats_blocks(await deps.stats.with_queue())
    if not arg:
        return [ui._md(f"Usage: `/video {word} <task id>`; `/video list` shows your ids.")]
    task = await store.get(arg)
    if task is None:
        return [ui._md(f"No video with id `{ui.esc(arg[:40])}`. `/video list` shows yours.")]
    if word == "status":
        return ui.status_blocks(task)
    if not may_act(deps.settings, task, user):
        return [ui._md("Only the person who asked for this video, or an admin, can cancel it.")]
    try:
        await deps.core.service.cancel(task.id, user)
    except TaskError as exc:
        return [ui._md(str(exc))]
    return [ui._md(f":no_entry_sign: Cancelling `{task.id}` *{ui.esc(task.briefing.title)}*.")]
