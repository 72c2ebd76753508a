"""A service that, failing mid-task after its retries, hands over to an offline engine."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pipeline.errors import AgentError
from pipeline.models import Usage


class Fallback:
    """Tries `primary` until it fails with a passing fault, then `fallback` for the rest of the
    task, with one line in `notes`. A missing endpoint or a rejected key is not a passing fault:
    those still fail the task. `id` changes when it falls back, so work already done with the
    primary is redone (one voice, one look per video)."""

    def __init__(self, primary: Any, fallback: Any, notes: list[str], instead: str) -> None:
        self.primary, self.fallback, self.notes, self.instead = primary, fallback, notes, instead
        self.failed = False

    @property
    def id(self) -> str:
        return self.fallback.id if self.failed else self.primary.id

    @property
    def usage(self) -> Usage:
        return self.primary.usage

    def _call(self, use: Callable[[Any], Any]) -> Any:
        if not self.failed:
            try:
                return use(self.primary)
            except AgentError as exc:
                if not exc.retryable:
                    raise
                self.failed = True
                self.notes.append(self.instead.format(why=exc.user_message.rstrip(".")))
        return use(self.fallback)
