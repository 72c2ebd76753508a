"""Slack listeners: thin callbacks that ack, validate, record, enqueue and reply."""

from __future__ import annotations

import asyncio
import json
import statistics
import time
from dataclasses import dataclass, field
from typing import Any

from arq.connections import ArqRedis
from loguru import logger
from redis.exceptions import RedisError
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot import slack_ui as ui
from bot.ratelimit import RateLimiter
from bot.settings import Settings
from bot.slack_ops import CANNOT_POST, error_code, post
from bot.tasks import ACTIVE, Status, Task, TaskStore, TaskSummary
from pipeline.briefing import BriefingError, parse_briefing

REDIS_DOWN = (
    ":warning: OMA can't reach its database right now, so nothing was created. Please try again in a minute."
)
JOB = "generate"


# /video stats adds up hundreds of records; under load, one sum every few seconds is plenty.
TOTALS_TTL = 5.0


@dataclass
class Deps:
    settings: Settings
    redis: ArqRedis
    store: TaskStore
    limiter: RateLimiter
    totals: tuple[float, dict[str, Any]] | None = None
    totals_lock: asyncio.Lock = field(default_factory=asyncio.Lock)


async def enqueue(deps: Deps, task: Task, job_id: str) -> bool:
    job = await deps.redis.enqueue_job(JOB, task.id, _job_id=job_id)
    return job is not None


async def task_totals(deps: Deps) -> dict[str, Any]:
    """Recent tasks by status, median generation time and total cost, at most TOTALS_TTL old."""
    async with deps.totals_lock:  # concurrent callers share one computation
        if deps.totals is None or time.monotonic() - deps.totals[0] > TOTALS_TTL:
            deps.totals = (time.monotonic(), _totals(await deps.store.summaries()))
    return deps.totals[1]


async def queue_stats(deps: Deps) -> dict[str, Any]:
    """The task totals plus the live queue depth and worker count, for /video stats."""
    return {
        **await task_totals(deps),
        "queue_depth": await deps.redis.zcard("arq:queue"),
        "workers": await live_workers(deps.redis),
    }


def _totals(tasks: list[TaskSummary]) -> dict[str, Any]:
    by_status: dict[str, int] = {}
    for t in tasks:
        by_status[t.status.value] = by_status.get(t.status.value, 0) + 1
    times = [t.generation_seconds for t in tasks if t.generation_seconds]
    return {
        "by_status": by_status,
        "median_seconds": statistics.median(times) if times else None,
        "total_cost": sum(t.cost_usd for t in tasks),
    }


WORKERS = "oma:workers"  # sorted set: worker id -> last heartbeat (unix seconds)
WORKER_TTL = 30


async def live_workers(redis: ArqRedis) -> int:
    """Workers whose heartbeat is under WORKER_TTL seconds old (one round trip)."""
    return int(await redis.zcount(WORKERS, time.time() - WORKER_TTL, "+inf"))


def _allowed(settings: Settings, user: str, channel: str) -> str | None:
    if settings.allowed_users and user not in settings.allowed_users:
        return "You are not on the list of people who can make videos with OMA; ask an admin to add you."
    if settings.allowed_channels and channel not in settings.allowed_channels:
        return "OMA isn't enabled in this channel; ask an admin, or use it in an enabled channel."
    return None


def register(app: AsyncApp, deps: Deps) -> None:
    """Wire every route; this table is the whole Slack surface."""
    app.command("/video")(on_command(deps))
    app.view(ui.MODAL_ID)(on_submission(deps))
    app.action(ui.RETRY_ACTION)(on_retry(deps))
    app.action(ui.APPROVE_ACTION)(on_review_button(deps, approve))
    app.action(ui.CHANGES_ACTION)(on_review_button(deps, request_changes))
    app.action(ui.CANCEL_ACTION)(on_review_button(deps, cancel_draft))
    app.action(ui.REVISE_ACTION)(on_revise_video(deps))
    app.view(ui.FEEDBACK_MODAL)(on_feedback(deps))
    app.event("message")(on_thread_reply(deps))
    app.event("app_mention")(ignore)


async def ignore() -> None:
    """Events we subscribe to but do not act on."""


def on_command(deps: Deps):
    async def handle(ack, command: dict[str, Any], client: AsyncWebClient) -> None:
        text = (command.get("text") or "").strip()
        word, _, rest = text.partition(" ")
        word, rest = word.lower(), rest.strip()
        user, channel = command["user_id"], command["channel_id"]
        if word in ("", "new") or word not in ("help", "list", "status", "cancel", "stats"):
            await ack()
            view = ui.briefing_modal(channel, "" if word in ("", "new") else text)
            await client.views_open(trigger_id=command["trigger_id"], view=view)
            return
        if word == "help":
            await ack(text="OMA help", blocks=ui.help_blocks())
            return
        try:
            blocks = await _answer(deps, word, rest, user)
        except RedisError:
            logger.warning("redis unreachable during /video {}", word)
            await ack(text=REDIS_DOWN)
            return
        await ack(text="OMA", blocks=blocks)

    return handle


async def _answer(deps: Deps, word: str, arg: str, user: str) -> list[dict[str, Any]]:
    if word == "list":
        return ui.list_blocks(await deps.store.for_user(user))
    if word == "stats":
        return ui.stats_blocks(await queue_stats(deps))
    if not arg:
        return [ui._md(f"Usage: `/video {word} <task id>`; `/video list` shows your ids.")]
    task = await deps.store.get(arg)
    if task is None:
        return [ui._md(f"No video with id `{ui.esc(arg[:40])}`. `/video list` shows yours.")]
    if word == "status":
        return ui.status_blocks(task)
    # cancel
    if task.user != user and user not in deps.settings.admins:
        return [ui._md("Only the person who asked for this video, or an admin, can cancel it.")]
    if task.status not in ACTIVE:
        return [ui._md(f"`{task.id}` is already {ui.status_word(task)}.")]
    await deps.redis.set(f"oma:cancel:{task.id}", user, ex=86400)
    if task.status is Status.QUEUED:
        await deps.store.update(task.id, status=Status.CANCELLED, finished=time.time())
    return [ui._md(f":no_entry_sign: Cancelling `{task.id}` *{ui.esc(task.briefing.title)}*.")]


def on_submission(deps: Deps):
    async def handle(ack, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient) -> None:
        data, skip_review, channel = ui.read_submission(view)
        user = body["user"]["id"]
        try:
            briefing = parse_briefing(data)
        except BriefingError as exc:
            errors = {f if f in ui.FIELDS else "title": m for f, m in exc.errors.items()}
            await ack(response_action="errors", errors=errors)
            return
        if (refusal := _allowed(deps.settings, user, channel)) is not None:
            await ack(response_action="errors", errors={"title": refusal})
            return
        task_id = view["id"].lower()  # the same view submitted twice is one task
        try:
            existing = await deps.store.get(task_id)
            if existing is not None:
                await ack()
                return
            wait = await deps.limiter.hit(user)
        except RedisError:
            await ack(response_action="errors", errors={"title": REDIS_DOWN})
            return
        if wait:
            await ack(
                response_action="errors",
                errors={"title": f"You've reached your limit of videos for now; try again in {int(wait)} s."},
            )
            return
        await ack()
        task = Task(
            id=task_id,
            user=user,
            channel=channel,
            briefing=briefing,
            skip_review=skip_review,
            request_id=body.get("trigger_id", task_id)[:40],
        )
        if not await deps.store.create(task):
            return
        with logger.contextualize(task=task.id):
            await start_task(deps, client, task)

    return handle


async def start_task(deps: Deps, client: AsyncWebClient, task: Task) -> None:
    """Post the root message and enqueue the job; tell the user how to fix it if we cannot post."""
    text, blocks = ui.root_message(task)
    try:
        task.root_ts = await post(client, task.channel, text, blocks)
    except SlackApiError as exc:
        code = error_code(exc)
        if code not in CANNOT_POST:
            raise
        task.status, task.error = Status.FAILED, f"I can't post in that channel ({code})."
        task.retryable = True
        await deps.store.save(task)
        logger.info("cannot post in channel: {}", code)
        _, fail_blocks = ui.failure_blocks(task)
        how = (
            f"I couldn't post in <#{task.channel}>. Invite me there with `/invite @OMA` (or use a "
            "public channel), then press Retry: your briefing is kept."
        )
        await post(client, task.user, how, [ui._md(how), *fail_blocks[1:]])
        return
    await deps.store.save(task)
    await deps.redis.set(thread_key(task.channel, task.root_ts), task.id, ex=deps.store.ttl)
    await enqueue(deps, task, task.id)
    logger.info("task queued")


def on_retry(deps: Deps):
    async def handle(ack, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        task_id = body["actions"][0]["value"]
        user = body["user"]["id"]
        task = await deps.store.get(task_id)
        if task is None or task.status not in (Status.FAILED, Status.EXPIRED):
            return
        if task.user != user and user not in deps.settings.admins:
            await client.chat_postEphemeral(
                channel=body.get("channel", {}).get("id", task.channel),
                user=user,
                text="Only the requester or an admin can retry this video.",
            )
            return
        # One retry per failed attempt, however many clicks arrive.
        if not await deps.redis.set(f"oma:retry:{task.id}:{task.attempts}", user, nx=True, ex=86400):
            return
        # A failed run is repeated as it was; an expired draft starts over.
        fresh = {"stage": "", "feedback": None} if task.status is Status.EXPIRED else {}
        task = await deps.store.update(task.id, status=Status.QUEUED, error=None, **fresh)
        assert task is not None
        if task.root_ts is None:
            await start_task(deps, client, task)
            return
        await post(client, task.channel, f"{ui.mention(user)} asked for a retry.", thread_ts=task.root_ts)
        await enqueue(deps, task, f"{task.id}-retry{task.attempts}")

    return handle


def thread_key(channel: str, ts: str) -> str:
    return f"oma:thread:{channel}:{ts}"


_GROUPS: dict[str, tuple[float, set[str]]] = {}  # user-group id -> (fetched at, members)


async def may_review(deps: Deps, task: Task, user: str, client: AsyncWebClient) -> bool:
    """The requester, admins, and approvers named by user id or user-group id (S...)."""
    allowed = deps.settings.approvers
    if user == task.user or user in allowed or user in deps.settings.admins:
        return True
    for group in (a for a in allowed if a.startswith("S")):
        fetched, members = _GROUPS.get(group, (0.0, set()))
        if time.monotonic() - fetched > 60:
            try:
                members = set((await client.usergroups_users_list(usergroup=group)).get("users") or [])
            except SlackApiError as exc:
                logger.warning("cannot read user group {}: {}", group, error_code(exc))
                continue
            _GROUPS[group] = (time.monotonic(), members)
        if user in members:
            return True
    return False


def who_may_review(deps: Deps, task: Task) -> str:
    others = " or ".join(ui.mention(u) for u in deps.settings.approvers)
    who = f"Only {ui.mention(task.user)} (who asked for it){' or ' + others if others else ''}"
    return f"{who} can review this video."


async def _review_target(deps: Deps, body: dict[str, Any], client: AsyncWebClient) -> tuple[Task, int] | None:
    """The task and revision a review button names, or None after telling the clicker why not."""
    task_id, _, rev = body["actions"][0]["value"].partition(":")
    user = body["user"]["id"]
    channel = body.get("channel", {}).get("id", "")
    task = await deps.store.get(task_id)

    async def tell(text: str) -> None:
        await client.chat_postEphemeral(
            channel=channel or (task.channel if task else user), user=user, text=text
        )

    if task is None:
        await tell("That video no longer exists.")
        return None
    if not await may_review(deps, task, user, client):
        await tell(who_may_review(deps, task))
        return None
    if task.status is not Status.AWAITING_REVIEW or str(task.revision) != rev:
        await tell(
            f"That draft is no longer current: the video is {ui.status_word(task)}"
            f"{f', now at revision {task.revision}' if task.revision else ''}."
        )
        return None
    return task, int(rev)


async def close_review(client: AsyncWebClient, task: Task, note: str, blocks=None) -> None:
    """Replace the draft message's buttons with who decided what."""
    if task.review_ts:
        await client.chat_update(
            channel=task.channel, ts=task.review_ts, text=note, blocks=blocks or [ui._md(note)]
        )


def on_review_button(deps: Deps, act):
    """Ack, check who clicked and which revision, then `act(deps, task, rev, body, client)`."""

    async def handle(ack, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        target = await _review_target(deps, body, client)
        if target is not None:
            await act(deps, *target, body, client)

    return handle


async def approve(deps: Deps, task: Task, rev: int, body: dict[str, Any], client: AsyncWebClient) -> None:
    user = body["user"]["id"]
    # One approval per revision, however many clicks arrive.
    if not await deps.redis.set(f"oma:approved:{task.id}:{rev}", user, nx=True, ex=86400):
        return
    note = f":white_check_mark: Approved by {ui.mention(user)}"
    draft_blocks = (body.get("message") or {}).get("blocks")
    await close_review(client, task, note, ui.decided_blocks(draft_blocks, note) if draft_blocks else None)
    await deps.store.update(task.id, status=Status.QUEUED, approved_by=user)
    await deps.redis.enqueue_job("render_approved", task.id, _job_id=f"{task.id}-render{rev}")


async def request_changes(
    deps: Deps, task: Task, rev: int, body: dict[str, Any], client: AsyncWebClient
) -> None:
    if task.revision >= deps.settings.revision_limit:
        await client.chat_postEphemeral(
            channel=task.channel,
            user=body["user"]["id"],
            text=f"This video reached its limit of {deps.settings.revision_limit} revisions.",
        )
        return
    await client.views_open(trigger_id=body["trigger_id"], view=ui.feedback_modal(task.id, rev))


async def _revise(deps: Deps, task: Task, user: str, feedback: str, client: AsyncWebClient) -> None:
    rev = task.revision
    if not await deps.redis.set(f"oma:revising:{task.id}:{rev}", user, nx=True, ex=86400):
        return
    asked = f":pencil2: {ui.mention(user)} asked for changes to revision {rev}"
    await close_review(client, task, f"{asked}: _{ui.esc(feedback[:300])}_")
    await deps.store.update(task.id, status=Status.QUEUED)
    await deps.redis.enqueue_job("revise", task.id, feedback, rev, _job_id=f"{task.id}-revise{rev}")


def on_feedback(deps: Deps):
    async def handle(ack, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient) -> None:
        meta = json.loads(view.get("private_metadata") or "{}")
        text = (view["state"]["values"].get("feedback", {}).get("value", {}).get("value") or "").strip()
        if len(text) < 3:
            await ack(response_action="errors", errors={"feedback": "Say in a few words what should change."})
            return
        await ack()
        task = await deps.store.get(meta.get("task", ""))
        user = body["user"]["id"]
        revisable = (Status.AWAITING_REVIEW, Status.DELIVERED)
        if task is None or task.status not in revisable or task.revision != meta.get("revision"):
            return
        if await may_review(deps, task, user, client):
            await _revise(deps, task, user, text, client)

    return handle


async def cancel_draft(
    deps: Deps, task: Task, rev: int, body: dict[str, Any], client: AsyncWebClient
) -> None:
    user = body["user"]["id"]
    await deps.redis.set(f"oma:cancel:{task.id}", user, ex=86400)
    await deps.store.update(task.id, status=Status.CANCELLED, finished=time.time())
    await close_review(client, task, f":no_entry_sign: Cancelled by {ui.mention(user)}.")
    said = f":no_entry_sign: {ui.mention(user)} cancelled this video."
    await post(client, task.channel, said, thread_ts=task.root_ts)


def on_thread_reply(deps: Deps):
    async def handle(event: dict[str, Any], client: AsyncWebClient) -> None:
        # Only plain replies by people, in threads that belong to tasks awaiting review.
        if event.get("subtype") or event.get("bot_id") or not event.get("thread_ts"):
            return
        task_id = await deps.redis.get(thread_key(event.get("channel", ""), event["thread_ts"]))
        if not task_id:
            return
        task = await deps.store.get(task_id.decode() if isinstance(task_id, bytes) else task_id)
        user, text = event.get("user", ""), (event.get("text") or "").strip()
        if task is None or task.status is not Status.AWAITING_REVIEW or len(text) < 3:
            return
        if not await may_review(deps, task, user, client):
            return
        if task.revision >= deps.settings.revision_limit:
            return
        await _revise(deps, task, user, text, client)

    return handle


def on_revise_video(deps: Deps):
    async def handle(ack, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        task_id, _, rev = body["actions"][0]["value"].partition(":")
        user = body["user"]["id"]
        task = await deps.store.get(task_id)
        if task is None or task.status is not Status.DELIVERED or str(task.revision) != rev:
            await client.chat_postEphemeral(
                channel=body.get("channel", {}).get("id", user),
                user=user,
                text="That video is being revised already or no longer exists.",
            )
            return
        if not await may_review(deps, task, user, client):
            await client.chat_postEphemeral(channel=task.channel, user=user, text=who_may_review(deps, task))
            return
        await client.views_open(trigger_id=body["trigger_id"], view=ui.feedback_modal(task.id, task.revision))

    return handle
