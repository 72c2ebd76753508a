"""Progress reporting and cooperative cancellation shared by every phase."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from pipeline.errors import Cancelled


@dataclass(frozen=True)
class Phase:
    """One step of making a video: its name in reports, its share of the bar, what people read."""

    name: str
    weight: int
    label: str


# The one phase list: the pipeline reports these names; the worker's progress, the Slack text
# and the CLI bar weigh and label them from here. The pipeline ends before "upload", which
# whoever delivers the video (the worker) reports.
PHASES: tuple[Phase, ...] = (
    Phase("script", 5, "Writing the script"),
    Phase("storyboard", 5, "Planning scenes"),
    Phase("voice", 15, "Recording narration"),
    Phase("visuals", 10, "Drawing scenes"),
    Phase("editor", 60, "Encoding video"),
    Phase("upload", 5, "Uploading"),
)
LABELS = {p.name: p.label for p in PHASES}


def overall_percent(phase: str, fraction: float, phases: tuple[Phase, ...] = PHASES) -> int:
    """Percent of the whole job done when `phase` is `fraction` done (0 for unknown phases)."""
    total = sum(p.weight for p in phases)
    done = 0
    for p in phases:
        if p.name == phase:
            return int(100 * (done + p.weight * max(0.0, min(1.0, fraction))) / total)
        done += p.weight
    return 0


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
        if self.cancelled:
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
