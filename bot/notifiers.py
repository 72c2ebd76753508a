"""Where a task's progress and results go: its Slack thread, a webhook, or nowhere.

The worker and the task service talk to a task's notifier only; they know nothing of Slack.
Each hook returns the fields to record on the task (the ids of messages it posted), so a
re-run finds them. Hooks marked cosmetic log their own failures; the others raise
DeliveryError, which fails the task with a reason and Retry.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from bot.tasks import Task
from pipeline import Draft

Fields = dict[str, Any]


class DeliveryError(Exception):
    """A notifier could not do what the task cannot do without; the message says why."""


class Notifier(Protocol):
    def opened(self, task: Task) -> bool:
        """Whether `on_created` has succeeded for this task (Retry opens it again if not)."""
        ...

    async def on_created(self, task: Task) -> Fields:
        """A new task: announce it (Slack's root message). Raises DeliveryError."""
        ...

    async def on_started(self, task: Task) -> Fields:
        """A job began: the progress display. Cosmetic."""
        ...

    async def on_progress(self, task: Task, phase: str, percent: int, eta: float | None) -> bool:
        """The latest progress; False when it could not be shown (it is simply superseded). Cosmetic."""
        ...

    async def on_script(self, task: Task, draft: Draft) -> None:
        """The script is ready and rendering begins. Cosmetic."""
        ...

    async def on_draft(self, task: Task, draft: Draft, previous: Draft | None) -> Fields:
        """A draft waits for review. Raises DeliveryError."""
        ...

    async def on_video(self, task: Task, video: Path, captions: list[Path]) -> Fields:
        """The finished video (and its caption files, which are cosmetic). Raises DeliveryError."""
        ...

    async def on_status(self, task: Task, hours: float | None = None) -> None:
        """The task now waits for review, or is delivered, failed (with why and Retry),
        cancelled or expired (after `hours`). Called once the record says so. Cosmetic."""
        ...


class Silent:
    """The notifier of a task nobody watches (API tasks with no webhook)."""

    def opened(self, task: Task) -> bool:
        return True

    async def on_created(self, task: Task) -> Fields:
        return {}

    async def on_started(self, task: Task) -> Fields:
        return {}

    async def on_progress(self, task: Task, phase: str, percent: int, eta: float | None) -> bool:
        return True

    async def on_script(self, task: Task, draft: Draft) -> None:
        return None

    async def on_draft(self, task: Task, draft: Draft, previous: Draft | None) -> Fields:
        return {}

    async def on_video(self, task: Task, video: Path, captions: list[Path]) -> Fields:
        return {}

    async def on_status(self, task: Task, hours: float | None = None) -> None:
        return None
