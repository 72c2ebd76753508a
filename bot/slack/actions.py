"""Button presses: Retry, the review's Approve / Request changes / Cancel, and Revise video."""

from __future__ import annotations

from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.service import NotRetryable, TaskError
from bot.slack import Deps, ui
from bot.slack.access import may_act
from bot.tasks import Status, Task


async def _tell(client: AsyncWebClient, body: dict[str, Any], text: str, channel: str = "") -> None:
    """An ephemeral answer to whoever clicked, in the channel they clicked in."""
    user = body["user"]["id"]
    where = (body.get("channel") or {}).get("id") or channel or user
    await client.chat_postEphemeral(channel=where, user=user, text=text)


def _value(body: dict[str, Any]) -> tuple[str, int | None]:
    """The task id and revision a button carries (`id` or `id:revision`)."""
    task_id, _, rev = body["actions"][0]["value"].partition(":")
    return task_id, int(rev) if rev.isdigit() else None


def on_retry(deps: Deps):
    async def handle(ack, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        task_id, _ = _value(body)
        user = body["user"]["id"]
        task = await deps.core.store.get(task_id)
        if task is None:
            return
        if not may_act(deps.settings, task, user):
            await _tell(client, body, "Only the requester or an admin can retry this video.", task.channel)
            return
        try:
            task = await deps.core.service.retry(task.id, user)
        except NotRetryable as exc:
            await _tell(client, body, str(exc), task.channel)
            return
        except TaskError:
            return  # another click got there first: one retry per failure
        if task.root_ts:
            await deps.core.slack_thread.say(task, f"{ui.mention(user)} asked for a retry.")

    return handle


def on_review_button(deps: Deps, act):
    """Ack, check who clicked and which revision, then `act(deps, task, rev, body, client)`."""

    async def handle(ack, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        task_id, rev = _value(body)
        task = await deps.core.store.get(task_id)
        if task is None:
            await _tell(client, body, "That video no longer exists.")
            return
        if not await deps.reviewers.may_review(task, body["user"]["id"], client):
            await _tell(client, body, deps.reviewers.who(task), task.channel)
            return
        if task.status is not Status.AWAITING_REVIEW or task.revision != rev:
            await _tell(client, body, ui.stale_text(task), task.channel)
            return
        try:
            await act(deps, task, task.revision, body, client)
        except TaskError as exc:
            await _tell(client, body, str(exc), task.channel)

    return handle


async def approve(deps: Deps, task: Task, rev: int, body: dict[str, Any], client: AsyncWebClient) -> None:
    user = body["user"]["id"]
    task = await deps.core.service.approve(task.id, rev, user)
    note = f":white_check_mark: Approved by {ui.mention(user)}"
    draft_blocks = (body.get("message") or {}).get("blocks")
    await deps.core.slack_thread.close_review(
        task, note, ui.decided_blocks(draft_blocks, note) if draft_blocks else None
    )


async def request_changes(
    deps: Deps, task: Task, rev: int, body: dict[str, Any], client: AsyncWebClient
) -> None:
    if (refusal := deps.core.service.revision_refusal(task)) is not None:
        await _tell(client, body, refusal)
        return
    await client.views_open(trigger_id=body["trigger_id"], view=ui.feedback_modal(task.id, rev))


async def edit_scenes(deps: Deps, task: Task, rev: int, body: dict[str, Any], client: AsyncWebClient) -> None:
    if (refusal := deps.core.service.revision_refusal(task)) is not None:
        await _tell(client, body, refusal)
        return
    draft = await deps.core.store.get_draft(task.id, rev, deps.settings.task_dir(task.id))
    if draft is None:
        await _tell(client, body, "That draft no longer exists.")
        return
    await client.views_open(trigger_id=body["trigger_id"], view=ui.edit_modal(task.id, rev, draft))


async def cancel_draft(
    deps: Deps, task: Task, rev: int, body: dict[str, Any], client: AsyncWebClient
) -> None:
    user = body["user"]["id"]
    task = await deps.core.service.cancel(task.id, user)
    await deps.core.slack_thread.close_review(task, f":no_entry_sign: Cancelled by {ui.mention(user)}.")


def on_revise_video(deps: Deps):
    async def handle(ack, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        task_id, rev = _value(body)
        user = body["user"]["id"]
        task = await deps.core.store.get(task_id)
        if task is None or task.status is not Status.DELIVERED or task.revision != rev:
            await _tell(client, body, "That video is being revised already or no longer exists.")
            return
        if not await deps.reviewers.may_review(task, user, client):
            await _tell(client, body, deps.reviewers.who(task), task.channel)
            return
        await client.views_open(trigger_id=body["trigger_id"], view=ui.feedback_modal(task.id, task.revision))

    return handle
