"""The task service's transition table and rules, and the store under it, on a real Redis."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from redis.exceptions import ConnectionError as RedisDown

from bot.crons import LOST_AFTER
from bot.notifiers import Silent
from bot.queue import Queue, generate
from bot.ratelimit import RateLimiter
from bot.service import (
    MOVES,
    LimitReached,
    NotFound,
    NotRetryable,
    Rules,
    Stale,
    TaskService,
    cancel_key,
    sources,
)
from bot.tasks import ACTIVE, FINISHED, Status, Task, TaskStore
from pipeline import Briefing
from tests.bot.support import BRIEFING, draft, jobs, run_jobs


@pytest.fixture
async def service(redis) -> TaskService:
    from arq.connections import ArqRedis

    arq = ArqRedis(connection_pool=redis.connection_pool)
    store = TaskStore(arq)
    silent = Silent()
    return TaskService(store, Queue(arq), RateLimiter(arq, 5, 30), Rules(revision_limit=2), lambda _t: silent)


async def put(service: TaskService, task_id: str, status: Status, **fields) -> Task:
    task = Task(id=task_id, user="U1", briefing=BRIEFING, status=status, **fields)
    assert await service.store.create(task)
    return task


async def test_every_move_is_allowed_exactly_when_the_table_says(service: TaskService) -> None:
    for n, (start, target) in enumerate((a, b) for a in Status for b in Status):
        await put(service, f"m{n}", start)
        moved = await service.move(f"m{n}", target)
        assert (moved is not None) == (target in MOVES[start]), (start, target)
        assert (await service.store.get(f"m{n}")).status is (target if moved else start)


def test_the_table_is_closed_and_finished_tasks_only_restart() -> None:
    assert set(MOVES) == set(Status)
    assert MOVES[Status.CANCELLED] == frozenset()
    for status in FINISHED - {Status.CANCELLED}:
        assert MOVES[status] == {Status.QUEUED}
    assert sources(Status.AWAITING_REVIEW) == {Status.DRAFTING}
    assert set(Status) - FINISHED == ACTIVE


async def test_approval_is_once_and_only_for_the_current_revision(service: TaskService, redis) -> None:
    await put(service, "a1", Status.AWAITING_REVIEW, revision=2)
    with pytest.raises(Stale):
        await service.approve("a1", 1, "U1")
    results = await asyncio.gather(
        *(service.approve("a1", 2, "U1") for _ in range(10)), return_exceptions=True
    )
    assert sum(isinstance(r, Task) for r in results) == 1
    assert all(isinstance(r, Stale) for r in results if not isinstance(r, Task))
    assert await jobs(redis) == ["a1-render2"]


async def test_revisions_stop_at_the_limit(service: TaskService, redis) -> None:
    await put(service, "r1", Status.AWAITING_REVIEW, revision=1)
    task = await service.revise("r1", 1, "U1", feedback="shorter")
    assert task.status is Status.QUEUED and await jobs(redis) == ["r1-revise1"]
    await put(service, "r2", Status.DELIVERED, revision=2)
    with pytest.raises(LimitReached, match="limit of 2 revisions"):
        await service.revise("r2", 2, "U1", feedback="shorter")


async def test_cancel_stops_idle_tasks_at_once_and_flags_running_ones(service: TaskService, redis) -> None:
    await put(service, "c1", Status.QUEUED)
    await put(service, "c2", Status.RENDERING)
    await put(service, "c3", Status.DELIVERED)
    assert (await service.cancel("c1", "U1")).status is Status.CANCELLED
    assert (await service.cancel("c2", "U1")).status is Status.RENDERING  # the job stops itself
    assert await redis.get(cancel_key("c2")) == b"U1"
    with pytest.raises(Stale, match="already delivered"):
        await service.cancel("c3", "U1")
    with pytest.raises(NotFound):
        await service.cancel("nope", "U1")


async def test_retry_is_once_per_failure_and_an_expired_draft_starts_over(
    service: TaskService, redis
) -> None:
    await put(service, "t1", Status.FAILED, attempts=2, stage="render", root_ts="1.1", retryable=True)
    await put(service, "t2", Status.EXPIRED, attempts=1, stage="draft", feedback="old", root_ts="2.1")
    results = await asyncio.gather(*(service.retry("t1", "U1") for _ in range(5)), return_exceptions=True)
    assert sum(isinstance(r, Task) for r in results) == 1
    again = await service.retry("t2", "U1")
    assert (again.stage, again.feedback) == ("", None)
    assert sorted(await jobs(redis)) == ["t1-retry2", "t2-retry1"]
    await put(service, "t3", Status.DELIVERED)
    with pytest.raises(Stale):
        await service.retry("t3", "U1")


async def test_a_failure_marked_final_is_refused_by_the_service_itself(service: TaskService, redis) -> None:
    """The rule lives in the service, so every entry point (API, Slack button) gets it."""
    await put(service, "f1", Status.FAILED, attempts=1, error="The draft these edits change has expired.")
    with pytest.raises(NotRetryable, match="would fail the same way: The draft these edits change"):
        await service.retry("f1", "U1")
    assert (await service.store.get("f1")).status is Status.FAILED and await jobs(redis) == []


async def test_only_drafts_idle_past_the_limit_expire(service: TaskService) -> None:
    import time

    old = time.time() - 7200
    await put(service, "e1", Status.AWAITING_REVIEW, created=old, updated=old)
    await put(service, "e2", Status.AWAITING_REVIEW)
    await put(service, "e3", Status.RENDERING, created=old, updated=old)
    expired = await service.expire_idle_drafts(hours=1)
    assert [t.id for t in expired] == ["e1"]
    assert (await service.store.get("e2")).status is Status.AWAITING_REVIEW


async def test_create_is_once_per_id(service: TaskService, redis) -> None:
    task = Task(id="n1", user="U1", briefing=BRIEFING)
    assert (await service.create(task)) is not None
    assert (await service.create(task)) is None  # a replay
    assert await jobs(redis) == ["n1"]


async def test_drafts_are_stored_without_host_paths(service: TaskService, redis, tmp_path: Path) -> None:
    work = tmp_path / "machine-a" / "t9"
    made = draft().model_copy(update={"work_dir": work, "contact_sheet": work / "draft" / "sheet.png"})
    await service.store.save_draft("t9", made, work)
    raw = (await redis.get("oma:draft:t9:1")).decode()
    assert str(tmp_path) not in raw
    elsewhere = tmp_path / "machine-b" / "t9"
    loaded = await service.store.get_draft("t9", 1, elsewhere)
    assert loaded.work_dir == elsewhere and loaded.contact_sheet == elsewhere / "draft" / "sheet.png"
    assert loaded.script == made.script


async def test_a_task_left_running_past_its_time_fails_with_retry(service: TaskService) -> None:
    import time

    long_ago = time.time() - 4000
    await put(service, "s1", Status.RENDERING, started=long_ago, created=long_ago)
    await put(service, "s2", Status.RENDERING, started=time.time())
    await put(service, "s3", Status.AWAITING_REVIEW, started=long_ago)
    stuck = await service.fail_stuck(time.time() - 1860)
    assert [t.id for t in stuck] == ["s1"]
    s1 = await service.store.get("s1")
    assert s1.status is Status.FAILED and s1.retryable and "OMA_JOB_TIMEOUT" in s1.error
    assert (await service.store.get("s2")).status is Status.RENDERING


async def test_a_cancel_that_lost_its_race_does_not_stop_the_next_job(service: TaskService, redis) -> None:
    await put(service, "k1", Status.UPLOADING, revision=1)
    await service.cancel("k1", "U1")  # the job is already delivering: the flag stays behind
    assert await redis.exists(cancel_key("k1"))
    await service.move("k1", Status.DELIVERED)
    await service.revise("k1", 1, "U1", feedback="shorter")
    assert not await redis.exists(cancel_key("k1"))


class LostQueue(Queue):
    """Redis fails after the move recorded the task as queued, before its job reaches arq."""

    async def send(self, job) -> bool:
        raise RedisDown("Connection closed by server.")


@pytest.mark.slow
async def test_a_task_whose_enqueue_was_lost_after_its_move_is_delivered_anyway(
    service: TaskService, redis, settings
) -> None:
    lossy = TaskService(
        service.store, LostQueue(service.queue.redis), service.limiter, service.rules, service.notifier
    )
    short = Briefing(
        title="Meet Nimbus", description="Nimbus keeps files in sync. It works offline.", duration=15
    )
    with pytest.raises(RedisDown):
        await lossy.create(Task(id="l1", user="K1", briefing=short))
    lost = await service.store.get("l1")
    assert lost.status is Status.QUEUED and await jobs(redis) == []

    # A minute later, a worker starts: its lost-job cron (run at start, then every minute) sends
    # the job the task recorded, and the worker runs it.
    lost.updated -= LOST_AFTER + 1
    await redis.set(service.store.key("l1"), lost.model_dump_json())
    await run_jobs(settings)
    done = await service.store.get("l1")
    assert done.status is Status.DELIVERED, (done.status, done.error)
    assert (settings.output_dir / "l1.mp4").stat().st_size > 10_000
    assert await service.requeue_lost(time.time() + 1, time.time() + 1) == []  # delivered: nothing to send


async def test_the_lost_job_sweep_leaves_waiting_and_recent_jobs_alone(service: TaskService, redis) -> None:
    await service.create(Task(id="w1", user="U1", briefing=BRIEFING))
    await put(service, "w2", Status.AWAITING_REVIEW, revision=1)
    lossy = TaskService(
        service.store, LostQueue(service.queue.redis), service.limiter, service.rules, service.notifier
    )
    with pytest.raises(RedisDown):
        await lossy.approve("w2", 1, "U1")
    now = time.time()
    assert await service.requeue_lost(now - 60, now - 60) == []  # queued just now: not lost yet
    resent = await service.requeue_lost(time.time() + 1, time.time() + 1)
    # w1's job is in arq already (the same id is refused); w2's render was lost and is sent.
    assert [t.id for t in resent] == ["w2"]
    assert sorted(await jobs(redis)) == ["w1", "w2-render1"]


class SlowThread(Silent):
    """A Slack thread whose root post takes as long as the test says (slack-sdk waiting out 429s)."""

    def __init__(self) -> None:
        self.posts, self.posting, self.release = 0, asyncio.Event(), asyncio.Event()

    def opened(self, task: Task) -> bool:
        return task.root_ts is not None

    async def on_created(self, task: Task) -> dict:
        self.posts += 1
        n = self.posts
        if n == 1:  # the first post is the slow one
            self.posting.set()
            await self.release.wait()
        return {"root_ts": f"{n}.0"}


async def test_the_lost_job_cron_never_opens_a_second_thread_while_the_first_is_posting(
    service: TaskService, redis
) -> None:
    from bot import crons

    thread = SlowThread()
    slow = TaskService(service.store, service.queue, service.limiter, service.rules, lambda _t: thread)
    creating = asyncio.create_task(slow.create(Task(id="o1", user="U1", briefing=BRIEFING)))
    await thread.posting.wait()
    # Past the lost-job bound (the root post is still in slack-sdk's retries), the cron runs.
    task = await service.store.get("o1")
    task.updated -= crons.LOST_AFTER + 1
    await redis.set(service.store.key("o1"), task.model_dump_json())
    assert await crons.requeue_lost({"service": slow}) == 0
    thread.release.set()
    made = await creating
    assert thread.posts == 1 and made.root_ts == "1.0" and await jobs(redis) == ["o1"]

    # A task that truly stopped before its thread opened is opened once past the longer bound.
    stopped = Task(id="o2", user="U1", briefing=BRIEFING, job=generate("o2"))
    assert await service.store.create(stopped)
    stopped = await service.store.get("o2")
    stopped.updated -= crons.LOST_AFTER + 1
    await redis.set(service.store.key("o2"), stopped.model_dump_json())
    assert await crons.requeue_lost({"service": slow}) == 0  # may still be opening
    stopped.updated -= crons.UNOPENED_AFTER
    await redis.set(service.store.key("o2"), stopped.model_dump_json())
    assert await crons.requeue_lost({"service": slow}) == 1
    assert thread.posts == 2 and (await service.store.get("o2")).root_ts == "2.0"
    assert sorted(await jobs(redis)) == ["o1", "o2"]
