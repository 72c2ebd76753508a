"""The task service: the one owner of a task's life, for Slack, the HTTP API and the worker.

Every status change goes through `move`, one atomic update that checks the task is in a
status the transition table allows (and any extra condition), so two competing changes (an
approval and the expiry sweep, two clicks, a job and a cancel) end in exactly one outcome.
Entry points translate their input, call one method here, and turn its small errors into
their own kind of answer (a modal error, an ephemeral note, an HTTP status).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from loguru import logger

from bot import queue as jobs
from bot.notifiers import DeliveryError, Notifier
from bot.queue import Queue
from bot.ratelimit import RateLimiter
from bot.tasks import ACTIVE, RUNNING, Status, Task, TaskStore

S = Status
# Where each status may go next. A running status may move to any running one: a job run again
# after a crash or a deploy (arq delivers at least once) starts over and reuses what was made.
MOVES: dict[Status, frozenset[Status]] = {
    S.QUEUED: RUNNING | {S.CANCELLED, S.FAILED},
    S.DRAFTING: RUNNING | {S.AWAITING_REVIEW, S.FAILED, S.CANCELLED},
    S.AWAITING_REVIEW: frozenset({S.QUEUED, S.CANCELLED, S.EXPIRED}),
    S.RENDERING: RUNNING | {S.FAILED, S.CANCELLED},
    S.UPLOADING: RUNNING | {S.DELIVERED, S.FAILED, S.CANCELLED},
    S.DELIVERED: frozenset({S.QUEUED}),
    S.FAILED: frozenset({S.QUEUED}),
    S.EXPIRED: frozenset({S.QUEUED}),
    S.CANCELLED: frozenset(),
}
CANCEL_TTL = 86400  # a cancel flag outlives any job that could still be running


def sources(target: Status) -> frozenset[Status]:
    """The statuses a task may be in to move to `target`."""
    return frozenset(s for s, nexts in MOVES.items() if target in nexts)


class TaskError(Exception):
    """A request the task's state does not allow; the message says why, for the person."""


class NotFound(TaskError):
    pass


class Stale(TaskError):
    """The task moved on (another click, the worker, the expiry sweep) since the caller looked."""


class LimitReached(TaskError):
    pass


class NotRetryable(TaskError):
    """The task failed in a way running it again cannot fix (its error says why)."""


class RateLimited(TaskError):
    def __init__(self, wait: float) -> None:
        super().__init__(f"You've reached your limit of videos for now; try again in {int(wait)} s.")
        self.wait = wait


@dataclass(frozen=True)
class Rules:
    revision_limit: int


def cancel_key(task_id: str) -> str:
    return f"oma:cancel:{task_id}"


class TaskService:
    """Creates, enqueues, approves, revises, cancels, retries and expires tasks."""

    def __init__(
        self,
        store: TaskStore,
        queue: Queue,
        limiter: RateLimiter,
        rules: Rules,
        notifier: Callable[[Task], Notifier],
    ) -> None:
        self.store, self.queue, self.limiter, self.rules = store, queue, limiter, rules
        self.notifier = notifier

    async def move(
        self, task_id: str, target: Status, when: Callable[[Task], bool] | None = None, **fields: object
    ) -> Task | None:
        """Move the task to `target` if the table allows it from where it is (and `when` holds).

        A task queued again (approved, revised, retried) drops any cancel flag left from a
        cancel that lost its race: the new job must not stop at once."""
        task = await self.store.transition(task_id, sources(target), when, status=target, **fields)
        if task is not None and target is S.QUEUED:
            await self.store.redis.delete(cancel_key(task_id))
        return task

    async def get(self, task_id: str) -> Task:
        task = await self.store.get(task_id)
        if task is None:
            raise NotFound("That video no longer exists.")
        return task

    async def admit(self, who: str) -> None:
        """Count one request against `who`'s limits; RateLimited says how long to wait."""
        wait = await self.limiter.hit(who)
        if wait:
            raise RateLimited(wait)

    async def create(self, task: Task) -> Task | None:
        """Record a new task, open its notifiers (the Slack root message), and queue it.

        None when a task with this id exists already (a replay). If the notifier cannot open
        (Slack refuses or is away), the task fails with the reason and can be retried."""
        task = task.model_copy(update={"job": jobs.generate(task.id)})
        if not await self.store.create(task):
            return None
        return await self._open_and_enqueue(task, attempt=0)

    async def _open_and_enqueue(self, task: Task, attempt: int) -> Task | None:
        try:
            opened = await self.notifier(task).on_created(task)
        except DeliveryError as exc:
            logger.info("task could not be opened: {}", exc)
            failed = await self.move(
                task.id, S.FAILED, error=str(exc), retryable=True, finished=time.time(), attempts=attempt
            )
            await self.notifier(task).on_status(failed or task)
            return failed
        if opened:  # what opening recorded (a Slack root message, with its thread's link)
            task = await self.store.update(task.id, **opened) or task
        await self.queue.send(task.job or jobs.generate(task.id, attempt))
        logger.info("task queued")
        return task

    async def approve(self, task_id: str, revision: int, by: str) -> Task:
        """Approve `revision` for rendering; once, however many clicks arrive."""
        job = jobs.render(task_id, revision)
        task = await self.move(
            task_id, S.QUEUED, lambda t: _reviewable(t, revision, S.AWAITING_REVIEW), approved_by=by, job=job
        )
        if task is None:
            raise Stale(await self._why_stale(task_id))
        await self.queue.send(job)
        return task

    async def revise(
        self,
        task_id: str,
        revision: int,
        by: str,
        feedback: str | None = None,
        edits: list[dict] | None = None,
    ) -> Task:
        """Make revision + 1 from feedback or exact scene edits (SceneEdit fields), of a draft or
        of a delivered video."""
        if (refusal := self.revision_refusal(await self.get(task_id))) is not None:
            raise LimitReached(refusal)
        task = await self.move(
            task_id,
            S.QUEUED,
            lambda t: _reviewable(t, revision, S.AWAITING_REVIEW, S.DELIVERED),
            error=None,
            job=(job := jobs.revise(task_id, revision, feedback, edits)),
        )
        if task is None:
            raise Stale(await self._why_stale(task_id))
        await self.queue.send(job)
        return task

    def revision_refusal(self, task: Task) -> str | None:
        """Why `task` can take no more revisions, or None while it can."""
        limit = self.rules.revision_limit
        return f"This video reached its limit of {limit} revisions." if task.revision >= limit else None

    async def cancel(self, task_id: str, by: str) -> Task:
        """Stop a task: at once when nothing runs it, else the running job stops at its next check."""
        task = await self.get(task_id)
        if task.status not in ACTIVE:
            raise Stale(f"`{task.id}` is already {task.status.words}.")
        await self.store.redis.set(cancel_key(task.id), by, ex=CANCEL_TTL)
        idle = await self.move(
            task.id,
            S.CANCELLED,
            lambda t: t.status in (S.QUEUED, S.AWAITING_REVIEW),
            finished=time.time(),
            cancelled_by=by,
        )
        if idle is not None:  # no job will say so: tell its notifiers now
            await self.notifier(idle).on_status(idle)
            return idle
        return await self.store.update(task.id, cancelled_by=by) or task  # its job stops and says so

    async def retry(self, task_id: str, by: str) -> Task:
        """Run a failed task's failed stage again (an expired draft starts over: its working
        folder is gone); once per failure. The one place the retry rule is decided: NotRetryable
        for a failure marked final, Stale for a task not (or no longer) failed or expired."""
        current = await self.get(task_id)
        if current.status is S.FAILED and not current.retryable:
            raise NotRetryable(f"Running this video again would fail the same way: {current.error}")
        fresh = (
            {"stage": "", "feedback": None, "edits": None, "base": None, "revision": 0}
            if current.status is S.EXPIRED
            else {}
        )
        task = await self.move(
            task_id,
            S.QUEUED,
            lambda t: t.can_retry and t.attempts == current.attempts,
            error=None,
            finished=None,
            job=jobs.generate(task_id, current.attempts),
            **fresh,
        )
        if task is None:
            raise Stale(await self._why_stale(task_id))
        if not self.notifier(task).opened(task):
            return await self._open_and_enqueue(task, attempt=task.attempts) or task
        await self.queue.send(task.job or jobs.generate(task.id, task.attempts))
        return task

    async def expire_idle_drafts(self, hours: float) -> list[Task]:
        """Drafts nobody reviewed for `hours` expire; an approval racing this wins or loses whole."""
        cutoff = time.time() - hours * 3600
        expired = []
        for task in await self.store.recent():
            if task.status is not S.AWAITING_REVIEW or task.updated >= cutoff:
                continue
            moved = await self.move(
                task.id,
                S.EXPIRED,
                lambda t: t.status is S.AWAITING_REVIEW and t.updated < cutoff,
                finished=time.time(),
            )
            if moved is not None:
                expired.append(moved)
        return expired

    async def fail_stuck(self, started_before: float) -> list[Task]:
        """Running tasks whose job began before `started_before` and never ended (arq stopped it
        at its time limit, or crashes used up its tries) fail with the reason and Retry."""
        failed = []
        for task in await self.store.recent():
            if task.status not in RUNNING or (task.started or task.updated) >= started_before:
                continue
            moved = await self.move(
                task.id,
                S.FAILED,
                lambda t: t.status in RUNNING and (t.started or t.updated) < started_before,
                finished=time.time(),
                retryable=True,
                error="its worker stopped before it finished (it ran past OMA_JOB_TIMEOUT, or was "
                "killed); Retry goes on from the parts made",
            )
            if moved is not None:
                failed.append(moved)
        return failed

    async def requeue_lost(self, queued_before: float, unopened_before: float) -> list[Task]:
        """Send again the job of each task queued before `queued_before` and still queued.

        Queuing a task is two steps: the move that records its job, then the enqueue; Redis
        failing between them (or the process dying) leaves a queued task no worker will see.
        Sending is idempotent (arq refuses a job id it holds, queued or running), so a task whose
        job merely waits behind others is left as it is. A task whose thread was never opened is
        opened (and queued) only if queued before `unopened_before`: before that, a web app may
        still be posting its root message through Slack's retries, and a second post would open
        a second thread. The tasks whose job was sent again."""
        sent = []
        for task in await self.store.recent():
            if task.status is not S.QUEUED or task.job is None or task.updated >= queued_before:
                continue
            if not self.notifier(task).opened(task):  # it stopped before its thread was opened
                if task.updated >= unopened_before:
                    continue  # maybe still opening
                await self._open_and_enqueue(task, attempt=task.attempts)
                sent.append(task)
            elif await self.queue.send(task.job):
                sent.append(task)
        if sent:
            logger.warning("re-sent the lost jobs of {}", ", ".join(t.id for t in sent))
        return sent

    async def _why_stale(self, task_id: str) -> str:
        task = await self.store.get(task_id)
        if task is None:
            return "That video no longer exists."
        rev = f", now at revision {task.revision}" if task.revision else ""
        return f"That video has moved on: it is {task.status.words}{rev}."


def _reviewable(task: Task, revision: int, *statuses: Status) -> bool:
    return task.status in statuses and task.revision == revision
