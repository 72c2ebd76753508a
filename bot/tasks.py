"""Task records in Redis: one JSON document per task, indexes per user and by status."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Collection
from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel, Field
from redis.asyncio import Redis

from bot.queue import Job
from pipeline import Briefing, Draft

PREFIX = "oma"


class Status(StrEnum):
    QUEUED = "queued"
    DRAFTING = "drafting"
    AWAITING_REVIEW = "awaiting_review"
    RENDERING = "rendering"
    UPLOADING = "uploading"
    DELIVERED = "delivered"
    FAILED = "failed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"

    @property
    def words(self) -> str:
        """The status as people read it ("awaiting review")."""
        return self.value.replace("_", " ")


# The status sets, in one place: a job is running; the task still has something to do; done.
RUNNING = frozenset({Status.DRAFTING, Status.RENDERING, Status.UPLOADING})
ACTIVE = RUNNING | {Status.QUEUED, Status.AWAITING_REVIEW}
FINISHED = frozenset(Status) - ACTIVE


def new_task_id() -> str:
    return uuid.uuid4().hex[:10]


class WebhookAttempt(BaseModel):
    """One POST of one event to a task's webhook."""

    event: str
    at: float
    status_code: int | None = None
    error: str | None = None
    ok: bool = False


class Task(BaseModel):
    """Everything the bot knows about one request; JSON-able so it survives deploys."""

    id: str
    # Where it came from: the requester (a Slack user id, or an API key's id) and, for Slack,
    # the workspace and channel its thread lives in ("" when it has none).
    user: str
    channel: str = ""
    team: str = ""
    briefing: Briefing
    skip_review: bool = True
    status: Status = Status.QUEUED
    created: float = Field(default_factory=time.time)
    updated: float = Field(default_factory=time.time)
    started: float | None = None
    finished: float | None = None
    root_ts: str | None = None
    progress_ts: str | None = None
    phase: str = ""
    percent: int = 0
    error: str | None = None
    retryable: bool = False
    attempts: int = 0
    file_id: str | None = None
    delivered_revision: int | None = None
    duration: float | None = None
    size_bytes: int | None = None
    cost_usd: float = 0.0
    generation_seconds: float | None = None
    # One line each: a voice or image service that failed mid-render and the offline stand-in.
    render_notes: list[str] = Field(default_factory=list)
    # The stock footage in the delivered video, credited as its library asks (pipeline.media.Credit).
    credits: list[dict] = Field(default_factory=list)
    request_id: str = ""
    revision: int = 0
    review_ts: str | None = None
    approved_by: str | None = None
    cancelled_by: str | None = None
    # The last run's stage and feedback, so that Retry repeats exactly what failed.
    stage: str = ""
    feedback: str | None = None
    # HTTP API tasks: the key that made it (its id; "" for Slack), the batch it belongs to, and
    # the webhook that hears of it, with every delivery attempt.
    key_id: str = ""
    batch_id: str | None = None
    webhook_url: str | None = None
    webhook_attempts: list[WebhookAttempt] = Field(default_factory=list)
    edits: list[dict] | None = None
    base: int | None = None  # the revision a revision revises, so Retry revises the same one
    # Slack tasks: render with the workspace's brand kit; captions' place ("" is the kit's, or "off").
    brand: bool = False
    captions: str = ""
    # Slack file ids of the requester's own pictures and clips (the briefing form's file input).
    media: list[str] = Field(default_factory=list)
    # ... and those shared as replies in the task's thread before approval (for the next revision).
    thread_media: list[str] = Field(default_factory=list)
    # The job a queued task waits for, recorded as it is queued: the lost-job sweep sends it again.
    job: Job | None = None

    @property
    def can_retry(self) -> bool:
        """Whether running it again can help: an expired draft, or a failure marked retryable."""
        return self.status is Status.EXPIRED or (self.status is Status.FAILED and self.retryable)


class TaskSummary(BaseModel):
    """The fields /video stats adds up; parsing skips the rest of the record (the briefing)."""

    status: Status
    generation_seconds: float | None = None
    cost_usd: float = 0.0


# Compare and set: the record is replaced only if it is still exactly what the caller read (and,
# with a second key, the thread it just gained links to it in the same step); 0 when it changed.
_SWAP = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
if #KEYS > 1 then redis.call('SET', KEYS[2], ARGV[4], 'EX', ARGV[3]) end
return 1
"""


class TaskStore:
    """CRUD for Task records plus the indexes /video list and /video stats need."""

    def __init__(self, redis: Redis, ttl_seconds: int = 7 * 86400) -> None:
        self.redis = redis
        self.ttl = ttl_seconds
        self._swap = redis.register_script(_SWAP)

    @staticmethod
    def key(task_id: str) -> str:
        return f"{PREFIX}:task:{task_id}"

    async def create(self, task: Task) -> bool:
        """Store a new task; False if one with this id exists already (a replay)."""
        # Index entries go when they are twice the record TTL old: the records (refreshed on
        # every save) are gone by then, and the indexes stay as small as the records.
        stale = task.created - 2 * self.ttl
        async with self.redis.pipeline(transaction=True) as p:
            p.set(self.key(task.id), task.model_dump_json(), nx=True, ex=self.ttl)
            for index in (f"{PREFIX}:user:{task.user}", f"{PREFIX}:tasks"):
                p.zadd(index, {task.id: task.created})
                p.zremrangebyscore(index, "-inf", stale)
            created, *_ = await p.execute()
        return bool(created)

    async def get(self, task_id: str) -> Task | None:
        raw = await self.redis.get(self.key(task_id))
        return Task.model_validate_json(raw) if raw else None

    async def save(self, task: Task) -> Task:
        task.updated = time.time()
        await self.redis.set(self.key(task.id), task.model_dump_json(), ex=self.ttl)
        return task

    async def update(self, task_id: str, **fields: object) -> Task | None:
        """Change some fields atomically, whatever the status (progress, results)."""
        return await self.transition(task_id, None, **fields)

    async def transition(
        self,
        task_id: str,
        expected: Collection[Status] | None,
        when: Callable[[Task], bool] | None = None,
        **fields: object,
    ) -> Task | None:
        """Change some fields atomically if the task's status is one of `expected` (None: any)
        and `when(task)` holds; the changed task, or None when it is gone or the check failed.

        Two writers of one record (the job and its progress pump; an approval and the expiry
        sweep) never undo each other: the write happens only if the record is still the one
        read (compare and set, in Redis), else it is read and checked again, so exactly one of
        two competing transitions wins. Two round trips, where WATCH/GET/MULTI took three."""
        key = self.key(task_id)
        while True:
            raw = await self.redis.get(key)
            if raw is None:
                return None
            current = Task.model_validate_json(raw)
            if expected is not None and current.status not in expected:
                return None
            if when is not None and not when(current):
                return None
            task = current.model_copy(update={**fields, "updated": time.time()})
            keys = [key]
            if task.root_ts and task.root_ts != current.root_ts:
                # Its thread, just opened: replies in it lead here, from the same write.
                keys.append(self.thread_key(task.channel, task.root_ts))
            if await self._swap(keys=keys, args=[raw, task.model_dump_json(), self.ttl, task.id]):
                return task

    async def delete(self, task_id: str) -> bool:
        """Remove the record, its drafts and its index entries; False when it was gone already."""
        task = await self.get(task_id)
        if task is None:
            return False
        drafts = [f"{PREFIX}:draft:{task_id}:{r}" for r in range(task.revision + 1)]
        async with self.redis.pipeline(transaction=True) as p:
            p.delete(self.key(task_id), *drafts)
            for index in (f"{PREFIX}:user:{task.user}", f"{PREFIX}:tasks"):
                p.zrem(index, task_id)
            await p.execute()
        return True

    async def page(
        self,
        user: str,
        limit: int,
        after: tuple[float, str] | None = None,
        keep: Callable[[Task], bool] | None = None,
    ) -> list[tuple[Task, float]]:
        """`user`'s tasks (those `keep` keeps) newest first, up to `limit`, after the (created, id) cursor.

        Redis orders equal scores by member, so (score, member) is a total order and a cursor
        never skips or repeats a task, however many are created meanwhile."""
        top: float | str = "+inf" if after is None else after[0]
        out: list[tuple[Task, float]] = []
        offset = 0
        while len(out) < limit:
            rows = await self.redis.zrevrangebyscore(
                f"{PREFIX}:user:{user}", top, "-inf", start=offset, num=limit + 1, withscores=True
            )
            if not rows:
                break
            offset += len(rows)
            names = [(m.decode() if isinstance(m, bytes) else m, score) for m, score in rows]
            if after is not None:
                names = [(n, sc) for n, sc in names if sc < after[0] or n < after[1]]
            scores = dict(names)
            for task in await self.many([n for n, _ in names]):
                if keep is None or keep(task):
                    out.append((task, scores[task.id]))
        return out[:limit]

    async def create_batch(self, batch_id: str, owner: str, task_ids: list[str]) -> None:
        record = {"id": batch_id, "owner": owner, "created": time.time(), "tasks": task_ids}
        await self.redis.set(f"{PREFIX}:batch:{batch_id}", json.dumps(record), ex=self.ttl)

    async def get_batch(self, batch_id: str) -> dict | None:
        raw = await self.redis.get(f"{PREFIX}:batch:{batch_id}")
        return json.loads(raw) if raw else None

    @staticmethod
    def thread_key(channel: str, ts: str) -> str:
        """Which task a chat thread belongs to, so replies in it reach the task: written by the
        update that records the thread's root message (`transition`)."""
        return f"{PREFIX}:thread:{channel}:{ts}"

    async def task_of_thread(self, channel: str, ts: str) -> Task | None:
        task_id = await self.redis.get(self.thread_key(channel, ts))
        return (
            await self.get(task_id.decode() if isinstance(task_id, bytes) else task_id) if task_id else None
        )

    async def save_draft(self, task_id: str, draft: Draft, work_root: Path) -> None:
        """Keep a draft without host paths: its folders are stored relative to the task's working
        folder `work_root`, which the loader names (another machine's worker has another)."""
        record = draft.model_dump(mode="json")
        record["work_dir"] = _relative(draft.work_dir, work_root)
        record["contact_sheet"] = _relative(draft.contact_sheet, work_root)
        await self.redis.set(f"{PREFIX}:draft:{task_id}:{draft.revision}", json.dumps(record), ex=self.ttl)

    async def get_draft(self, task_id: str, revision: int, work_root: Path) -> Draft | None:
        """Revision `revision` of the task's draft, its paths under the task's folder `work_root`."""
        raw = await self.redis.get(f"{PREFIX}:draft:{task_id}:{revision}")
        if not raw:
            return None
        record = json.loads(raw)
        for key in ("work_dir", "contact_sheet"):
            record[key] = str(work_root / record[key])
        return Draft.model_validate(record)

    async def for_user(self, user: str, limit: int = 10) -> list[Task]:
        return await self.many(await self.redis.zrevrange(f"{PREFIX}:user:{user}", 0, limit - 1))

    async def recent(self, limit: int = 500) -> list[Task]:
        return await self.many(await self.redis.zrevrange(f"{PREFIX}:tasks", 0, limit - 1))

    async def summaries(self, limit: int = 500) -> list[TaskSummary]:
        """Status, time and cost of the most recent tasks, for /video stats."""
        ids = await self.redis.zrevrange(f"{PREFIX}:tasks", 0, limit - 1)
        return [TaskSummary.model_validate_json(raw) for raw in await self._raw(ids)]

    async def many(self, ids: list) -> list[Task]:
        """The records that still exist for `ids`, in one round trip."""
        return [Task.model_validate_json(raw) for raw in await self._raw(ids)]

    async def _raw(self, ids: list) -> list[bytes]:
        if not ids:
            return []
        names = [i.decode() if isinstance(i, bytes) else i for i in ids]
        return [raw for raw in await self.redis.mget([self.key(n) for n in names]) if raw]


def _relative(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:  # not under the task's folder: keep only its name
        return path.name
