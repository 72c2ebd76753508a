"""OMA's Slack-agnostic core: a Briefing becomes a Draft, and an approved Draft an MP4."""

from pipeline.briefing import Aspect, Briefing, BriefingError, Style, Tone, parse_briefing
from pipeline.config import PipelineConfig
from pipeline.edits import EditError, SceneEdit
from pipeline.errors import AgentError, Cancelled, PipelineError, RenderError
from pipeline.models import Draft, RenderResult
from pipeline.progress import CancelToken, ProgressCallback
from pipeline.run import edit_draft, make_draft, render, warm_up

__all__ = [
    "AgentError",
    "Aspect",
    "Briefing",
    "BriefingError",
    "CancelToken",
    "Cancelled",
    "Draft",
    "EditError",
    "PipelineConfig",
    "PipelineError",
    "ProgressCallback",
    "RenderError",
    "RenderResult",
    "SceneEdit",
    "Style",
    "Tone",
    "edit_draft",
    "make_draft",
    "parse_briefing",
    "render",
    "warm_up",
]
