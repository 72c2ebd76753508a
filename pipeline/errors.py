"""Typed pipeline errors: which agent failed, whether a retry may help, and words for a person."""

from __future__ import annotations


class PipelineError(Exception):
    """A failure a person can be told about; never carries a traceback or a secret."""

    def __init__(self, agent: str, message: str, *, retryable: bool) -> None:
        self.agent = agent
        self.retryable = retryable
        self.user_message = message
        super().__init__(f"{agent}: {message}")


class AgentError(PipelineError):
    """An agent's backend failed (network, quota, malformed output)."""


class RenderError(PipelineError):
    """ffmpeg or the audio mix failed; carries the tail of ffmpeg's stderr for the logs."""

    def __init__(self, message: str, *, stderr: str = "") -> None:
        super().__init__("editor", message, retryable=True)
        self.stderr = stderr[-2000:]


class Cancelled(Exception):
    """The run was cancelled through its CancelToken."""
