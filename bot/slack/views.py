"""Modal submissions: the briefing form and the Request changes form."""

from __future__ import annotations

import asyncio
from typing import Any

from loguru import logger
from redis.exceptions import RedisError
from slack_sdk.web.async_client import AsyncWebClient

from bot.error_reporting import keep_private
from bot.service import RateLimited, TaskError
from bot.slack import ACK_REDIS_SECONDS, REDIS_DOWN, Deps, ui
from bot.slack.access import refusal
from bot.tasks import Task
from pipeline import SceneEdit
from pipeline.briefing import BriefingError, parse_briefing
from pipeline.edits import check_edits


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
            async with asyncio.timeout(ACK_REDIS_SECONDS):
                if await deps.core.store.get(task_id) is not None:
                    await ack()
                    return
                await deps.core.service.admit(user)
        except RateLimited as exc:
            await ack(response_action="errors", errors={"title": str(exc)})
            return
        except (RedisError, TimeoutError):
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
        task.brand, task.captions = ui.read_brand_choice(view)
        task.media = ui.read_media_files(view)
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
        task = await deps.core.service.revise(task.id, revision, user, feedback=feedback)
    except TaskError as exc:  # at the limit, or the draft moved on: say so to whoever asked
        logger.info("revision refused: {}", exc)
        await client.chat_postEphemeral(channel=task.channel, user=user, text=str(exc))
        return
    asked = f":pencil2: {ui.mention(user)} asked for changes to revision {revision}"
    await deps.core.slack_thread.close_review(task, f"{asked}: _{ui.esc(feedback[:300])}_")


def on_edit(deps: Deps):
    """Edit scenes: exactly the reviewer's words become revision + 1; bad edits are field errors."""

    async def handle(ack, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient) -> None:
        meta = ui.metadata(view)
        task = await deps.core.store.get(str(meta.get("task", "")))
        revision = meta.get("revision")
        draft = None
        if task is not None and isinstance(revision, int):
            draft = await deps.core.store.get_draft(task.id, revision, deps.settings.task_dir(task.id))
        if task is None or draft is None:
            await ack(response_action="errors", errors={"n1": "This draft no longer exists."})
            return
        edits = ui.read_edits(view, draft)
        if not edits:
            await ack(
                response_action="errors", errors={"n1": "Nothing changed: edit a scene, or close this form."}
            )
            return
        scene_edits = [SceneEdit(**e) for e in edits]
        files = {m.key: m.name for m in draft.media}
        problems = check_edits(draft.script, draft.storyboard, scene_edits, draft.briefing.duration, files)
        if problems:
            await ack(response_action="errors", errors=_edit_errors(problems))
            return
        await ack()
        user = body["user"]["id"]
        if not await deps.reviewers.may_review(task, user, client):
            return
        try:
            task = await deps.core.service.revise(task.id, revision, user, edits=edits)
        except TaskError as exc:
            logger.info("edit refused: {}", exc)
            await client.chat_postEphemeral(channel=task.channel, user=user, text=str(exc))
            return
        scenes = ", ".join(str(e["number"]) for e in edits)
        plural = "s" if len(edits) > 1 else ""
        note = f":pencil2: {ui.mention(user)} edited scene{plural} {scenes} of revision {revision}"
        await deps.core.slack_thread.close_review(task, note)

    return handle


def _edit_errors(problems: dict[int, str]) -> dict[str, str]:
    """Edit problems on the fields they concern: a headline's on its headline, a file's on its
    picture choice, the rest on the scene's narration, the whole draft's on the first scene."""
    errors: dict[str, str] = {}
    for number, message in problems.items():
        block = f"h{number}" if "headline" in message else f"n{max(number, 1)}"
        if "file" in message and number:
            block = f"m{number}"
        errors[block] = f"{errors[block]} {message}" if block in errors else message
    return errors
