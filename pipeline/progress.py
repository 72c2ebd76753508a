"""Progress reporting and cooperative cancellation shared by every phase."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Protocol

from pipeline.errors import Cancelled

PHASES = ("script", "storyboard", "voice", "visuals", "editor")


class ProgressCallback(Protocol):
    def __call__(self, phase: str, fraction: float, message: str) -> None: ...


def no_progress(phase: str, fraction: float, message: str) -> None:
    """A ProgressCallback that ignores everything."""


class CancelToken:
    """Thread-safe flag checked between steps and while ffmpeg runs."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def check(self) -> None:
        """Raise Cancelled if cancellation was requested."""
        if self._event.is_set():
            raise Cancelled()

    def wait(self, seconds: float) -> bool:
        return self._event.wait(seconds)


class Reporter:
    """Wraps a callback: checks cancellation on every report and maps sub-steps to fractions."""

    def __init__(self, callback: ProgressCallback, cancel: CancelToken) -> None:
        self._callback = callback
        self.cancel = cancel

    def __call__(self, phase: str, fraction: float, message: str) -> None:
        self.cancel.check()
        self._callback(phase, max(0.0, min(1.0, fraction)), message)

    def steps(self, phase: str, total: int) -> Callable[[int, str], None]:
        """A function reporting step i of total within `phase`."""

        def step(i: int, message: str) -> None:
            self(phase, i / max(total, 1), message)

        return step
