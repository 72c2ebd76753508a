"""Events: a reviewer's reply in a task's thread is feedback on its draft."""

from __future__ import annotations

from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.slack import Deps
from bot.slack.views import revise
from bot.tasks import Status


async def ignore() -> None:
    """Events we subscribe to but do not act on."""


def on_thread_reply(deps: Deps):
    async def handle(event: dict[str, Any], client: AsyncWebClient) -> None:
        # Only plain replies by people, in threads that belong to tasks awaiting review.
        if event.get("subtype") or event.get("bot_id") or not event.get("thread_ts"):
            return
        task = await deps.core.store.task_of_thread(event.get("channel") or "", event["thread_ts"])
        user, text = event.get("user") or "", (event.get("text") or "").strip()
        if task is None or task.status is not Status.AWAITING_REVIEW or len(text) < 3:
            return
        if task.revision >= deps.settings.revision_limit:
            return
        if await deps.reviewers.may_review(task, user, client):
            await revise(deps, task, task.revision, user, text, client)

    return handle
