"""Events: a reviewer's reply in a task's thread is feedback on its draft; files shared in
the reply are offered as media for that next revision ("use these" is the default)."""

from __future__ import annotations

from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.slack import Deps
from bot.slack.views import revise
from bot.tasks import Status

FILES_FEEDBACK = "Use the files shared in the thread."
MAX_THREAD_FILES = 10


async def ignore() -> None:
    """Events we subscribe to but do not act on."""


def on_thread_reply(deps: Deps):
    async def handle(event: dict[str, Any], client: AsyncWebClient) -> None:
        # Only replies by people (plain, or sharing files), in threads of tasks awaiting review.
        subtype = event.get("subtype")
        if (subtype and subtype != "file_share") or event.get("bot_id") or not event.get("thread_ts"):
            return
        task = await deps.core.store.task_of_thread(event.get("channel") or "", event["thread_ts"])
        user, text = event.get("user") or "", (event.get("text") or "").strip()
        files = [str(f["id"]) for f in event.get("files") or [] if isinstance(f, dict) and f.get("id")]
        if task is None or task.status is not Status.AWAITING_REVIEW or (len(text) < 3 and not files):
            return
        if deps.core.service.revision_refusal(task) is not None:
            return
        if await deps.reviewers.may_review(task, user, client):
            if files:
                shared = [*task.thread_media, *(f for f in files if f not in task.thread_media)]
                task = await deps.core.store.update(task.id, thread_media=shared[:MAX_THREAD_FILES]) or task
            await revise(deps, task, task.revision, user, text if len(text) >= 3 else FILES_FEEDBACK, client)

    return handle
