"""The arq jobs: run a task's stage through the pipeline and hand the results to its notifier.

A stage is "full" (draft, then render), "draft" (stop for review) or "render" (an approved
draft). Jobs are safe to run again (arq delivers at least once): a task that moved on since
the job was queued is left alone, and a re-run reuses the draft and scenes already made.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

from arq.constants import retry_key_prefix
from loguru import logger

from bot.brands import with_team_brand
from bot.error_reporting import keep_private
from bot.housekeeping import remove, task_folder
from bot.notifiers import DeliveryError, Notifier
from bot.pump import Progress, pump, watch_cancel
from bot.service import TaskService, cancel_key
from bot.settings import Settings
from bot.slack.events import FILES_FEEDBACK
from bot.slack.media import fetch_media
from bot.tasks import Status, Task, TaskStore
from pipeline import Cancelled, CancelToken, Draft, PipelineError, RenderResult, SceneEdit, make_draft, render


async def generate(ctx: dict[str, Any], task_id: str) -> str:
    """A new task or Retry: the stage that failed (with its feedback), else by skip-review."""
    return await _job(ctx, task_id, None)


async def revise(
    ctx: dict[str, Any],
    task_id: str,
    feedback: str | None,
    base: int | None = None,
    edits: list | None = None,
) -> str:
    """Revision `base` + 1 from the reviewer's feedback, or exact scene edits, on revision `base`."""
    return await _job(ctx, task_id, "draft", feedback, base, edits)


async def render_approved(ctx: dict[str, Any], task_id: str) -> str:
    """Render the approved revision."""
    return await _job(ctx, task_id, "render")


async def _job(
    ctx: dict[str, Any],
    task_id: str,
    stage: str | None,
    feedback: str | None = None,
    base: int | None = None,
    edits: list | None = None,
) -> str:
    task = await ctx["store"].get(task_id)
    if task is None:
        return "missing"
    with logger.contextualize(task=task.id):
        keep_private(task.briefing.title, task.briefing.description, task.feedback, feedback)
        if stage is None:  # the stage that failed, as it was asked for
            stage = task.stage or ("full" if task.skip_review else "draft")
            feedback, edits, base = task.feedback, task.edits, task.base
        return await Run(ctx, task).go(stage, Ask(feedback, edits), base)


@dataclass(frozen=True)
class Ask:
    """What a revision was asked for: free-text feedback, or exact scene edits (SceneEdit fields)."""

    feedback: str | None = None
    edits: list | None = None

    @property
    def anything(self) -> bool:
        return self.feedback is not None or bool(self.edits)


@dataclass
class Failure:
    status: Status
    error: str | None = None
    retryable: bool = False


def failure_of(exc: BaseException, budget: float) -> Failure:
    """What a job's exception means for its task, in words for the requester."""
    if isinstance(exc, TimeoutError):
        took = f"{budget / 60:.0f} minutes" if budget >= 120 else f"{budget:.0f} seconds"
        return Failure(
            Status.FAILED,
            f"it took longer than {took} (OMA_JOB_TIMEOUT); Retry goes on from the parts made",
            True,
        )
    if isinstance(exc, Cancelled):
        return Failure(Status.CANCELLED)
    if isinstance(exc, PipelineError):
        logger.warning("pipeline failed in {}: {}", exc.agent, exc.user_message)
        return Failure(Status.FAILED, exc.user_message, exc.retryable)
    if isinstance(exc, DeliveryError):
        logger.warning("delivery failed: {}", exc)
        return Failure(Status.FAILED, str(exc), True)
    logger.opt(exception=exc).error("unexpected failure")
    return Failure(Status.FAILED, f"an unexpected error ({type(exc).__name__}); it has been logged", True)


def pipeline_budget(settings: Settings) -> float:
    """Seconds the pipeline may take: the job timeout less time kept for the upload, so a slow
    job fails in its thread with Retry instead of being cut off silently by arq."""
    return settings.job_timeout - min(settings.upload_timeout, settings.job_timeout / 4)


class Run:
    """One run of one stage of one task."""

    def __init__(self, ctx: dict[str, Any], task: Task) -> None:
        self.ctx, self.task = ctx, task
        self.settings: Settings = ctx["settings"]
        self.store: TaskStore = ctx["store"]
        self.service: TaskService = ctx["service"]
        self.notifier: Notifier = ctx["notifier"](task)
        self.progress, self.token = Progress(), CancelToken()
        self.work = task_folder(self.settings.work_dir, task.id)
        self.config = self.settings.pipeline_config().model_copy(update={"work_dir": self.work})

    async def go(self, stage: str, ask: Ask, base: int | None) -> str:
        if not await self.begin(stage, ask, base):
            return "skipped"
        started = time.monotonic()
        try:
            result = await self.make(stage, ask, base)
            if result is None:
                return Status.AWAITING_REVIEW.value
            return await self.deliver(result, time.monotonic() - started)
        except asyncio.CancelledError:
            # The worker is shutting down: stop the pipeline thread too; arq re-queues the job
            # and the next run resumes from the phases already finished.
            self.token.cancel()
            await asyncio.shield(self.refund_try())
            raise
        except Exception as exc:
            self.token.cancel()  # a pipeline thread still running stops at its next check
            return await self.finish(failure_of(exc, pipeline_budget(self.settings)))

    async def begin(self, stage: str, ask: Ask, base: int | None) -> bool:
        """Mark the task running; False when it moved on since the job was queued."""
        moved = await self.service.move(
            self.task.id,
            Status.RENDERING if stage == "render" else Status.DRAFTING,
            attempts=self.task.attempts + 1,
            started=time.time(),
            error=None,
            stage=stage,
            feedback=ask.feedback,
            edits=ask.edits,
            base=base,
        )
        if moved is None:
            logger.info("job skipped: the task is {}", self.task.status.value)
            return False
        self.task = await self.store.update(moved.id, **await self.notifier.on_started(moved)) or moved
        return True

    async def make(self, stage: str, ask: Ask, base: int | None) -> RenderResult | None:
        """The draft, then (unless it waits for review) the video; None when it waits."""
        interval = self.settings.progress_interval
        helpers = [
            asyncio.create_task(pump(self.store, self.notifier, self.task, self.progress, interval)),
            asyncio.create_task(watch_cancel(self.store.redis, self.task.id, self.token)),
        ]
        try:
            async with asyncio.timeout(pipeline_budget(self.settings)):
                t = self.task
                self.config = await with_team_brand(
                    self.config, self.store.redis, t.team, t.brand, t.captions, self.work
                )
                draft = await self.draft(stage, ask, base)
                if stage == "draft":
                    await self.await_review(draft)
                    return None
                if stage != "render":
                    await self.notifier.on_script(self.task, draft)
                self.task = await self.service.move(self.task.id, Status.RENDERING) or self.task
                out = self.settings.output_dir / f"{self.task.id}.mp4"
                out.parent.mkdir(parents=True, exist_ok=True)
                return await self._in_thread(
                    lambda: render(
                        draft, self.config, progress=self.progress.report, cancel=self.token, out=out
                    )
                )
        finally:
            for helper in helpers:
                helper.cancel()

    async def draft(self, stage: str, ask: Ask, base: int | None) -> Draft:
        """The approved draft, or the one this stage already made, or a new one."""
        if stage == "render":
            approved = await self.store.get_draft(self.task.id, self.task.revision, self.work)
            if approved is None:
                raise PipelineError(
                    "review", "The approved draft has expired; start a new video.", retryable=False
                )
            return approved
        made = await self._draft_made(ask, base)
        if made is not None:
            return made
        revising = self.task.revision if base is None else base
        previous = await self.store.get_draft(self.task.id, revising, self.work) if ask.anything else None
        if ask.edits and previous is None:
            raise PipelineError("review", "The draft these edits change has expired.", retryable=False)
        media, refused, feedback = None, [], ask.feedback
        # A first draft takes the form's files; a revision keeps its draft's and adds the thread's.
        wanted = self.task.media if previous is None else self.task.thread_media
        if wanted:
            media, problems = await fetch_media(self.ctx["slack"], wanted, self.work)
            refused = [f"{p.note()} The video is made without it." for p in problems]
            if previous is not None:
                kept = [m for m in previous.media if all(m.key != n.key for n in media)]
                media = [*kept, *media]
        if feedback == FILES_FEEDBACK:  # only files were shared: the words stay as they are
            feedback = None
        draft = await self._in_thread(
            lambda: make_draft(
                self.task.briefing,
                self.config,
                progress=self.progress.report,
                cancel=self.token,
                previous=previous,
                feedback=feedback,
                edits=[SceneEdit(**e) for e in ask.edits] if ask.edits else None,
                work_dir=self.work,
                media=media,
            )
        )
        if refused:
            draft = draft.model_copy(update={"notes": [*refused, *draft.notes]})
        await self.store.save_draft(self.task.id, draft, self.work)
        self.task = await self.store.update(self.task.id, revision=draft.revision) or self.task
        return draft

    async def _draft_made(self, ask: Ask, base: int | None) -> Draft | None:
        """The draft this stage already made, when an earlier run of it got that far (Retry, a
        crash, a deploy). Made again, a first draft would be paid for twice (and its recorded
        narration lost), and a revision would apply its feedback twice.

        `base` is the revision a revise job revises: until base + 1 exists, there is nothing to reuse.
        """
        task = self.task
        if not task.revision or (base is not None and task.revision <= base):
            return None
        saved = await self.store.get_draft(task.id, task.revision, self.work)
        return saved if saved is not None and saved.feedback == ask.feedback else None

    async def await_review(self, draft: Draft) -> None:
        previous = (
            await self.store.get_draft(self.task.id, draft.revision - 1, self.work)
            if draft.revision > 1
            else None
        )
        await self.stop_if_cancelled()  # cancelled while the draft was made: nothing to review
        posted = await self.notifier.on_draft(self.task, draft, previous)
        moved = await self.service.move(
            self.task.id, Status.AWAITING_REVIEW, phase="storyboard", percent=30, **posted
        )
        if moved is not None:
            await self.notifier.on_status(moved)
        self.task = moved or self.task

    async def deliver(self, result: RenderResult, took: float) -> str:
        """Hand the video to the notifier exactly once: the record is checked first, and what the
        notifier posted is saved right after."""
        task = await self.store.get(self.task.id) or self.task
        if task.delivered_revision != task.revision or task.file_id is None:
            task = (
                await self.service.move(
                    task.id,
                    Status.UPLOADING,
                    phase="upload",
                    percent=95,
                    duration=result.duration,
                    size_bytes=result.size_bytes,
                    cost_usd=result.cost_usd,
                    generation_seconds=round(took, 1),
                    render_notes=result.notes,
                    credits=[c.model_dump(mode="json") for c in result.credits],
                )
                or task
            )
            await self.stop_if_cancelled()  # cancelled as the render finished: nothing to deliver
            # Into the bucket when there is one (a StorageError fails the task with Retry).
            await self.ctx["storage"].put(task.id, [result.path, *result.captions])
            fields = await self.notifier.on_video(task, result.path, result.captions)
            task = await self.store.update(task.id, delivered_revision=task.revision, **fields) or task
        task = await self.service.move(task.id, Status.DELIVERED, finished=time.time(), percent=100) or task
        # The video is delivered and the draft in Redis: a later revision can rebuild the rest.
        await asyncio.to_thread(remove, self.work)
        await self.ctx["storage"].release(task.id)
        await self.notifier.on_status(task)
        logger.info("delivered")
        return "delivered"

    async def finish(self, failure: Failure) -> str:
        if failure.status is Status.CANCELLED:
            await asyncio.to_thread(remove, self.work)
        task = await self.service.move(
            self.task.id,
            failure.status,
            finished=time.time(),
            error=failure.error,
            retryable=failure.retryable,
        )
        await self.notifier.on_status(task or self.task)
        return failure.status.value

    async def stop_if_cancelled(self) -> None:
        """Raise Cancelled if someone asked, even in the half second the watcher has not looked."""
        if self.token.cancelled or await self.store.redis.exists(cancel_key(self.task.id)):
            self.token.cancel()
            raise Cancelled()

    async def refund_try(self) -> None:
        """A deploy's SIGTERM is not the job's fault: give back the try arq counted for this run.

        A SIGKILL never gets here, so a job that keeps crashing its worker still runs out of tries.
        """
        if self.ctx.get("job_id"):
            key = retry_key_prefix + self.ctx["job_id"]
            if int(await self.ctx["redis"].get(key) or 0) > 0:
                await self.ctx["redis"].decr(key)

    async def _in_thread(self, work):
        return await asyncio.get_running_loop().run_in_executor(None, work)
