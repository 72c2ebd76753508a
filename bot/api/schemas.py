"""What the HTTP API reads and answers, as Pydantic models: the OpenAPI document is made from these.

A video request is the Briefing itself (its fields, checks and plain messages) plus the API's
own options, so the API, Slack's modal and `oma render` can never disagree on a briefing.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

from bot.tasks import Status, Task, WebhookAttempt
from pipeline import Briefing, Draft, SceneEdit
from pipeline import briefing as rules
from pipeline.media import Credit

BRIEFING_FIELDS = tuple(Briefing.model_fields)
BATCH_MAX = 50


def _limits(schema: dict) -> None:
    """The Briefing checks its limits in validators, which JSON Schema cannot see: say them here,
    from the same constants."""
    props = schema["properties"]
    props["title"].update(minLength=rules.TITLE_MIN, maxLength=rules.TITLE_MAX)
    props["description"].update(minLength=rules.DESCRIPTION_MIN, maxLength=rules.DESCRIPTION_MAX)
    props["duration"].update(minimum=rules.DURATION_MIN, maximum=rules.DURATION_MAX)


class VideoRequest(Briefing):
    """A briefing, as the Slack modal's fields, and how the API should handle it."""

    model_config = ConfigDict(frozen=True, extra="forbid", title="VideoRequest", json_schema_extra=_limits)

    skip_review: bool = Field(
        default=True, description="Render straight away (true) or stop at a draft to approve or revise"
    )
    webhook_url: str | None = Field(
        default=None, max_length=2000, description="Receives signed events: needs review, delivered, failed"
    )
    slack_channel: str | None = Field(
        default=None,
        pattern=r"^[CG][A-Z0-9]{2,30}$",
        description="Also post the video's thread in this Slack channel (the bot must be in it)",
    )

    def briefing(self) -> Briefing:
        return Briefing.model_validate(self.model_dump(include=set(BRIEFING_FIELDS)))


class ApproveRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    revision: int | None = Field(
        default=None, ge=1, description="The draft revision approved; the current one when left out"
    )


class ReviseRequest(BaseModel):
    """Feedback in words (the writer applies it), or exact scene edits (said word for word)."""

    model_config = ConfigDict(extra="forbid")

    feedback: str | None = Field(
        default=None, min_length=3, max_length=2000, description="What should change, in words"
    )
    edits: list[SceneEdit] | None = Field(
        default=None, min_length=1, max_length=50, description="Exact new words, scene by scene"
    )
    revision: int | None = Field(
        default=None, ge=1, description="The revision the change is about; the current one when left out"
    )

    @model_validator(mode="after")
    def _one(self) -> ReviseRequest:
        if (self.feedback is None) == (self.edits is None):
            raise ValueError("Give either feedback or edits")
        return self


class Scene(BaseModel):
    number: int
    headline: str
    narration: str
    seconds: float


class DraftSummary(BaseModel):
    revision: int
    scenes: list[Scene]
    notes: list[str] = []
    estimated_render_seconds: float
    estimated_cost_usd: float


class Links(BaseModel):
    self: str
    file: str | None = Field(default=None, description="The MP4, once delivered")
    download: str | None = Field(
        default=None,
        description="With a storage bucket: a presigned link to the MP4 itself, valid for "
        "OMA_S3_LINK_SECONDS (no API key needed; ask again for a fresh one)",
    )
    approve: str | None = None
    revise: str | None = None
    retry: str | None = Field(default=None, description="A failed video can run again from where it stopped")


class Timings(BaseModel):
    created: float
    started: float | None = None
    finished: float | None = None
    generation_seconds: float | None = None


class VideoOut(BaseModel):
    """A video task as its key sees it."""

    id: str
    status: Status
    phase: str
    percent: int
    eta_seconds: float | None = None
    revision: int
    skip_review: bool
    briefing: Briefing
    error: str | None = None
    retryable: bool = False
    cost_usd: float
    duration: float | None = None
    size_bytes: int | None = None
    notes: list[str] = Field(
        default=[],
        description="One line each, for the delivered video: a voice or image service that failed "
        "and its offline stand-in, a brand logo or font that is gone",
    )
    credits: list[Credit] = Field(
        default=[], description="Stock footage in the video, to be credited as its library asks"
    )
    timings: Timings
    batch_id: str | None = None
    webhook_url: str | None = None
    webhook_attempts: list[WebhookAttempt] = []
    draft: DraftSummary | None = None
    links: Links

    @classmethod
    def of(
        cls, task: Task, draft: Draft | None = None, eta: float | None = None, download: str | None = None
    ) -> VideoOut:
        base = f"/api/v1/videos/{task.id}"
        review = task.status is Status.AWAITING_REVIEW
        return cls(
            id=task.id,
            status=task.status,
            phase=task.phase,
            percent=task.percent,
            eta_seconds=eta,
            revision=task.revision,
            skip_review=task.skip_review,
            briefing=task.briefing,
            error=task.error,
            retryable=task.retryable,
            cost_usd=task.cost_usd,
            duration=task.duration,
            size_bytes=task.size_bytes,
            notes=task.render_notes,
            credits=[Credit.model_validate(c) for c in task.credits],
            timings=Timings(
                created=task.created,
                started=task.started,
                finished=task.finished,
                generation_seconds=task.generation_seconds,
            ),
            batch_id=task.batch_id,
            webhook_url=task.webhook_url,
            webhook_attempts=task.webhook_attempts,
            draft=summary(draft) if draft is not None else None,
            links=Links(
                self=base,
                file=f"{base}/file" if task.status is Status.DELIVERED else None,
                download=download if task.status is Status.DELIVERED else None,
                approve=f"{base}/approve" if review else None,
                revise=f"{base}/revise" if review or task.status is Status.DELIVERED else None,
                retry=f"{base}/retry" if task.can_retry else None,
            ),
        )


def summary(draft: Draft) -> DraftSummary:
    plans = draft.storyboard.scenes
    scenes = [
        Scene(
            number=i,
            headline=plans[i - 1].headline if i <= len(plans) else "",
            narration=scene.narration,
            seconds=round(plans[i - 1].duration, 1) if i <= len(plans) else 0.0,
        )
        for i, scene in enumerate(draft.script.scenes, 1)
    ]
    return DraftSummary(
        revision=draft.revision,
        scenes=scenes,
        notes=draft.notes,
        estimated_render_seconds=draft.estimated_render_seconds,
        estimated_cost_usd=draft.estimated_cost_usd,
    )


class VideoList(BaseModel):
    videos: list[VideoOut]
    next_cursor: str | None = Field(default=None, description="Pass as ?cursor= for the next page")


class BatchOut(BaseModel):
    id: str
    created: float
    counts: dict[str, int] = Field(description="How many of its videos are in each status")
    videos: list[VideoOut]


class StatsOut(BaseModel):
    by_status: dict[str, int] = Field(description="This key's recent videos by status")
    median_seconds: float | None
    total_cost_usd: float
    queue_depth: int
    workers: int


class ErrorOut(BaseModel):
    """Every error the API answers has this shape."""

    error: str = Field(description="A stable code, e.g. invalid_request, unauthorized, not_found")
    message: str = Field(description="What went wrong, for a person")
    details: dict[str, str] | None = Field(
        default=None, description="Per field (e.g. 'title', '3.duration'), the Briefing's plain message"
    )
    request_id: str
