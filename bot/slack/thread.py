"""The Slack thread notifier: a task's root message, progress, draft, video and outcome."""

from __future__ import annotations

from pathlib import Path

from loguru import logger
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.notifiers import DeliveryError, Fields
from bot.slack import ui
from bot.slack.calls import CANNOT_POST, SLACK_FAILURES, describe, error_code, post, update, upload
from bot.tasks import Status, Task
from pipeline import Draft


class SlackThread:
    """Reports in the thread under the task's root message, in the channel it came from."""

    def __init__(self, client: AsyncWebClient) -> None:
        self.client = client

    def opened(self, task: Task) -> bool:
        return task.root_ts is not None

    async def on_created(self, task: Task) -> Fields:
        text, blocks = ui.root_message(task)
        try:
            return {"root_ts": await post(self.client, task.channel, text, blocks)}
        except SLACK_FAILURES as exc:
            reason = describe(exc)
            if isinstance(exc, SlackApiError) and error_code(exc) in CANNOT_POST:
                raise DeliveryError(
                    f"I can't post in that channel ({reason}). Invite me there with `/invite @OMA` (or "
                    "use a public channel), then press Retry: your briefing is kept"
                ) from exc
            raise DeliveryError(
                f"Slack did not take the request ({reason}). Press Retry when Slack is back: your "
                "briefing is kept"
            ) from exc

    async def on_started(self, task: Task) -> Fields:
        await self._mark_root(task)
        if task.progress_ts is not None:
            return {}
        ts = await self._note(task, ui.progress_text("script", 0, None))
        return {"progress_ts": ts} if ts else {}

    async def on_progress(self, task: Task, phase: str, percent: int, eta: float | None) -> bool:
        return await self._show(task, ui.progress_text(phase, percent, eta))

    async def on_script(self, task: Task, draft: Draft) -> None:
        # With no review, this is where the writer's notes (a sentence left out to fit) are read.
        notes = "".join(f"\n:information_source: {ui.esc(n)}" for n in draft.notes)
        ready = f":memo: Script ready: {len(draft.script.scenes)} scenes. Recording and rendering now."
        await self._note(task, ready + notes)
        await self._mark_root(task.model_copy(update={"status": Status.RENDERING}))

    async def on_draft(self, task: Task, draft: Draft, previous: Draft | None) -> Fields:
        try:
            await upload(
                self.client,
                task.channel,
                task.root_ts,
                Path(draft.contact_sheet),
                f"Storyboard: {task.briefing.title}",
                f"Storyboard, revision {draft.revision}",
            )
            text, blocks = ui.draft_blocks(task, draft, previous)
            try:
                review_ts = await post(self.client, task.channel, text, blocks, thread_ts=task.root_ts)
            except SlackApiError as exc:
                pictureless = ui.without_images(blocks)
                if error_code(exc) != "invalid_blocks" or pictureless == blocks:
                    raise
                # Slack fetches every thumbnail and refuses the whole message if one fails.
                logger.warning("draft refused with its thumbnails ({}); posting it without", describe(exc))
                review_ts = await post(self.client, task.channel, text, pictureless, thread_ts=task.root_ts)
        except SLACK_FAILURES as exc:
            raise DeliveryError(f"Slack did not take the draft ({describe(exc)})") from exc
        await self._show(task, ":eyes: Draft ready: review it below.")
        await self._mark_root(task.model_copy(update={"status": Status.AWAITING_REVIEW}))
        return {"review_ts": review_ts}

    async def on_video(self, task: Task, video: Path, captions: list[Path]) -> Fields:
        await self._show(task, ui.progress_text("upload", 95, None))
        try:
            # The .vtt rides along, for platforms that take caption files and for screen readers.
            vtt = [c for c in captions if c.suffix == ".vtt"]
            file_id = await upload(
                self.client,
                task.channel,
                task.root_ts,
                video,
                task.briefing.title,
                ui.delivered_text(task),
                vtt,
            )
        except SLACK_FAILURES as exc:
            # Not delivered until Slack has the file; the render is cached, so Retry is quick.
            raise DeliveryError(
                f"Slack did not take the upload ({describe(exc)}); the video is made, and Retry sends it"
            ) from exc
        await self._note(task, "Want something changed?", [ui.revise_button(task)])
        return {"file_id": file_id}

    async def on_status(self, task: Task, hours: float | None = None) -> None:
        if task.status is Status.AWAITING_REVIEW:
            return  # the draft's own message (on_draft) says so
        if task.status is Status.DELIVERED:
            await self._show(task, ui.progress_text("upload", 100, None))
        elif task.status is Status.EXPIRED:
            text, blocks = ui.expired_blocks(task, hours or 0)
            await self.close_review(task, text)
            await self._note(task, text, blocks)
        elif task.status is Status.CANCELLED:
            who = (
                f"{ui.mention(task.cancelled_by)} cancelled this video" if task.cancelled_by else "Cancelled"
            )
            await self._note(task, f":no_entry_sign: {who}.")
        elif task.root_ts is None:  # it never got a thread: tell the requester directly, with Retry
            try:
                await post(self.client, task.user, *ui.failure_blocks(task))
            except SLACK_FAILURES as exc:  # the record keeps the reason for /video list and status
                logger.warning("could not tell the requester either: {}", describe(exc))
        else:
            await self._note(task, *ui.failure_blocks(task))
        await self._mark_root(task)

    async def close_review(self, task: Task, note: str, blocks: ui.Blocks | None = None) -> None:
        """Replace the draft message's buttons with who decided what. Cosmetic."""
        if task.review_ts:
            try:
                await update(self.client, task.channel, task.review_ts, note, blocks or [ui._md(note)])
            except SLACK_FAILURES as exc:
                logger.warning("could not close the review: {}", describe(exc))

    async def say(self, task: Task, text: str) -> None:
        """A plain line in the task's thread. Cosmetic."""
        await self._note(task, text)

    async def _note(self, task: Task, text: str, blocks: ui.Blocks | None = None) -> str | None:
        """A reply in the thread that the job can do without; the ts, or None on a Slack failure."""
        try:
            return await post(self.client, task.channel, text, blocks, thread_ts=task.root_ts)
        except SLACK_FAILURES as exc:
            logger.warning("thread reply failed: {}", describe(exc))
            return None

    async def _mark_root(self, task: Task) -> None:
        """Show the task's status on the root message. Cosmetic."""
        if task.root_ts:
            text, blocks = ui.root_message(task)
            try:
                await update(self.client, task.channel, task.root_ts, text, blocks)
            except SLACK_FAILURES as exc:
                logger.warning("root message update failed: {}", describe(exc))

    async def _show(self, task: Task, text: str) -> bool:
        """Put `text` in the thread's progress message. Cosmetic."""
        if task.progress_ts is None:
            return False
        try:
            await update(self.client, task.channel, task.progress_ts, text)
        except SLACK_FAILURES as exc:
            logger.warning("progress update failed: {}", describe(exc))
            return False
        return True
