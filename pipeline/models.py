"""What the agents hand each other: script, storyboard, narration, draft and result."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field
from pydantic.json_schema import SkipJsonSchema

from pipeline.briefing import Briefing
from pipeline.media import Credit, MediaItem

Layout = Literal["center", "left", "top"]
Transition = Literal["fade", "dissolve", "slideleft", "wipeleft", "circleopen", "smoothleft", "fadeblack"]
TRANSITIONS: tuple[str, ...] = Transition.__args__  # type: ignore[attr-defined]


class ScriptScene(BaseModel):
    narration: str = Field(description="What the narrator says in this scene, in full sentences")
    key_point: str = Field(description="The one idea this scene carries, a few words")


class Script(BaseModel):
    """The narration, split into scenes."""

    scenes: list[ScriptScene] = Field(min_length=1, description="Scenes in order")
    pace: float = Field(
        default=1.0, description="Voice speed the writer asks for; the narrator goes faster only to fit"
    )

    @property
    def word_count(self) -> int:
        return sum(len(s.narration.split()) for s in self.scenes)


SceneKind = Literal["title", "statement", "stat", "list", "quote", "closing"]
SCENE_KINDS: tuple[str, ...] = SceneKind.__args__  # type: ignore[attr-defined]
Motion = Literal["fade-up", "slide", "words", "scale"]


class ScenePlan(BaseModel):
    """One scene as a value: its kind, that kind's fields and its timing (old drafts load as statements)."""

    headline: str = Field(
        description="On-screen headline, at most 8 words (title scene: the video's title; "
        "closing scene: the call to action; list scene: an optional lead-in, may be empty)"
    )
    visual_prompt: str = Field(description="What the scene's image shows, for an illustrator")
    layout: Layout = Field(default="center", description="Where the headline sits")
    palette: str = Field(default="", description="Palette name from the style's palettes")
    transition: Transition = Field(default="fade", description="Transition into the next scene")
    duration: float = Field(default=0.0, description="Seconds on screen")
    kind: SceneKind = Field(
        default="statement",
        description="title (first scene), statement (a headline), stat (one number the narration "
        "says), list (2-4 points the narration enumerates), quote (a quotation the narration "
        "reads), closing (last scene: the call to action)",
    )
    subtitle: str = Field(default="", description="title scene: a short subtitle, at most 10 words")
    figure: str = Field(
        default="", description='stat scene: the number with its symbols as spoken, e.g. "$4.2M", "12%", "3x"'
    )
    unit: str = Field(default="", description='stat scene: a unit word after the number, e.g. "days"')
    label: str = Field(default="", description='stat scene: what the number measures, e.g. "revenue growth"')
    items: list[str] = Field(
        default_factory=list,
        description="list scene: 2-4 short items (at most 6 words each), in spoken order",
    )
    quote: str = Field(default="", description="quote scene: the quotation, at most 20 words")
    attribution: str = Field(default="", description="quote scene: who said it")
    link: str = Field(default="", description="closing scene: a URL or #channel from the briefing, if any")
    motion: Motion | None = Field(
        default=None, description="How the text enters; empty means the style's own motion"
    )
    media: str | None = Field(
        default=None,
        description="The key of the team's own picture or clip this scene shows (from the media "
        "list), or empty for generated art",
    )
    # The reviewer's asks for a stock scene (Edit scenes); not the storyboard model's to set.
    stock_query: SkipJsonSchema[str] = Field(default="", description="A search phrase for its stock footage")
    stock_skip: SkipJsonSchema[int] = Field(default=0, ge=0, description="Better matches to pass over")


class Storyboard(BaseModel):
    """Per-scene visual plan; durations sum exactly to the briefing's duration."""

    scenes: list[ScenePlan]

    @property
    def starts(self) -> list[float]:
        out, t = [], 0.0
        for s in self.scenes:
            out.append(t)
            t += s.duration
        return out


class WordTiming(BaseModel):
    word: str
    start: float
    end: float


class SceneVoice(BaseModel):
    """One scene's narration audio and its word timings (relative to the clip)."""

    audio: Path
    duration: float
    words: list[WordTiming]


class Usage(BaseModel):
    """What one agent call cost."""

    agent: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    characters: int = 0
    images: int = 0
    cost_usd: float = 0.0


class Draft(BaseModel):
    """Script + storyboard + contact sheet: what a reviewer approves before the render."""

    briefing: Briefing
    script: Script
    storyboard: Storyboard
    contact_sheet: Path
    revision: int = 1
    feedback: str | None = None
    usage: list[Usage] = []
    estimated_render_seconds: float = 0.0
    estimated_cost_usd: float = 0.0
    work_dir: Path = Field(description="The task's working folder, reused by the render")
    notes: list[str] = Field(
        default_factory=list,
        description="One line each, for the reviewer: what was left out, feedback the built-in "
        "writer could not apply, a built-in agent standing in for an unusable model answer",
    )
    omitted: list[str] = Field(
        default_factory=list, description="Sentences of the description left out to fit the duration"
    )
    media: list[MediaItem] = Field(
        default_factory=list,
        description="The team's own pictures and clips, checked and stored in the working folder",
    )
    stock: list[MediaItem] = Field(
        default_factory=list, description="Stock footage picked for the scenes without their own file"
    )
    stock_search: bool = Field(default=False, description="Scenes without their own file get stock footage")

    @property
    def shown(self) -> list[MediaItem]:
        """Every file a scene may show: the team's own, then the stock picks."""
        return [*self.media, *self.stock]

    @property
    def cost_usd(self) -> float:
        return round(sum(u.cost_usd for u in self.usage), 4)


class RenderResult(BaseModel):
    path: Path
    duration: float
    width: int
    height: int
    size_bytes: int
    cost_usd: float
    timings: dict[str, float]
    usage: list[Usage] = []
    scenes_rendered: int = 0
    scenes_reused: int = 0
    captions: list[Path] = Field(default_factory=list, description="The .srt and .vtt beside the MP4")
    notes: list[str] = Field(
        default_factory=list,
        description="One line each, for the delivery: a brand kit's logo or font the video is "
        "without, a voice or image service that failed mid-task and the offline backend that stood in",
    )
    credits: list[Credit] = Field(
        default_factory=list, description="The stock footage in the video, credited as its library asks"
    )
