"""What the agents hand each other: script, storyboard, narration, draft and result."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from pipeline.briefing import Briefing

Layout = Literal["center", "left", "top"]
Transition = Literal["fade", "dissolve", "slideleft", "wipeleft", "circleopen", "smoothleft", "fadeblack"]
TRANSITIONS: tuple[str, ...] = Transition.__args__  # type: ignore[attr-defined]


class ScriptScene(BaseModel):
    narration: str = Field(description="What the narrator says in this scene, in full sentences")
    key_point: str = Field(description="The one idea this scene carries, a few words")


class Script(BaseModel):
    """The narration, split into scenes."""

    scenes: list[ScriptScene] = Field(min_length=1, description="Scenes in order")

    @property
    def word_count(self) -> int:
        return sum(len(s.narration.split()) for s in self.scenes)


class ScenePlan(BaseModel):
    headline: str = Field(description="On-screen headline, at most 8 words")
    visual_prompt: str = Field(description="What the scene's image shows, for an illustrator")
    layout: Layout = Field(default="center", description="Where the headline sits")
    palette: str = Field(default="", description="Palette name from the style's palettes")
    transition: Transition = Field(default="fade", description="Transition into the next scene")
    duration: float = Field(default=0.0, description="Seconds on screen")


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
