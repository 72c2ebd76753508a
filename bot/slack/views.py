"""Modal submissions: the briefing form and the Request changes form."""

from __future__ import annotations

from typing import Any

from loguru import logger
from redis.exceptions import RedisError
from slack_sdk.web.async_client import AsyncWebClient

from bot.error_reporting import keep_private
from bot.service import RateLimited, TaskError
from bot.slack import REDIS_DOWN, Deps, ui
from bot.slack.access import refusal
from bot.tasks import Task
from pipeline.briefing import BriefingError, parse_briefing


def on_briefing(deps: Deps):
    async def handle(ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        data, skip_review, channel = ui.read_submission(view)
        keep_private(*(str(v) for v in data.values() if v))
        user = body["user"]["id"]
        try:
            briefing = parse_briefing(data)
        except BriefingError as exc:
            errors = {f if f in ui.FIELDS else "title": m for f, m in exc.errors.items()}
            await ack(response_action="errors", errors=errors)
            return
        if (refused := refusal(deps.settings, user, channel)) is not None:
            await ack(response_action="errors", errors={"title": refused})
            return
        task_id = view["id"].lower()  # the same view submitted twice is one task
        try:
            if await deps.core.store.get(task_id) is not None:
                await ack()
                return
            await deps.core.service.admit(user)
        except RateLimited as exc:
            await ack(response_action="errors", errors={"title": str(exc)})
            return
        except RedisError:
            await ack(response_action="errors", errors={"title": REDIS_DOWN})
            return
        await ack()
        task = Task(
            id=task_id,
            user=user,
            channel=channel,
            team=(body.get("team") or {}).get("id", "") if isinstance(body.get("team"), dict) else "",
            briefing=briefing,
            skip_review=skip_review,
            request_id=(body.get("trigger_id") or task_id)[:40],
        )
        with logger.contextualize(task=task.id):
            await deps.core.service.create(task)

    return handle


def on_feedback(deps: Deps):
    async def handle(ack, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient) -> None:
        meta = ui.metadata(view)
        text = (view["state"]["values"].get("feedback", {}).get("value", {}).get("value") or "").strip()
        if len(text) < 3:
            await ack(response_action="errors", errors={"feedback": "Say in a few words what should change."})
            return
        await ack()
        user = body["user"]["id"]
        task = await deps.core.store.get(str(meta.get("task", "")))
        if task is None or not isinstance(meta.get("revision"), int):
            return
        if await deps.reviewers.may_review(task, user, client):
            await revise(deps, task, meta["revision"], user, text, client)

    return handle


async def revise(
    deps: Deps, task: Task, revision: int, user: str, feedback: str, client: AsyncWebClient
) -> None:
    """Feedback on `revision` (modal or thread reply): revision + 1, the review closed with it."""
    try:
        task = await deps.core.service.revise(task.id, revision, user, feedback)
    except TaskError as exc:
        logger.info("revision refused: {}", exc)
        return
    asked = f":pencil2: {ui.mention(user)} asked for changes to revision {revision}"
    await deps.core.slack_thread.close_review(task, f"{asked}: _{ui.esc(feedback[:300])}_")
