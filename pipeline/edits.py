"""Exact scene edits: a revision that says precisely the words a reviewer typed, scene by scene.

Unchanged scenes keep their script, plan and duration as they were, so the render's caches
(voice, stills, encoded pieces) find them again and only the edited scenes are made anew.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, Field

from pipeline.agents.narrator import LEAD_IN, MAX_SPEED, SENTENCE_GAP, TAIL
from pipeline.agents.scene_kinds import assign_kinds
from pipeline.agents.storyboarder import MIN_SCENE_SECONDS, allocate, fit_durations
from pipeline.briefing import Briefing
from pipeline.errors import PipelineError
from pipeline.models import ScenePlan, Script, Storyboard
from pipeline.text import HEADLINE_MAX_WORDS, sentences, speakable, spoken_seconds

AGENT = "review"
# Past this pace the voice sounds hurried; the draft then says the narration is long.
HURRIED = 1.15


class SceneEdit(BaseModel):
    """New words for one scene; None leaves that field as it is."""

    number: int = Field(ge=1, description="The scene's number as people see it: 1 is the first")
    headline: str | None = Field(default=None, description="The on-screen headline, exactly")
    narration: str | None = Field(default=None, description="What the narrator says, exactly")
    remove: bool = Field(default=False, description="Leave the scene out of the video")


class EditError(PipelineError):
    """Edits that cannot be made; `errors` maps a scene number (0: the whole draft) to why."""

    def __init__(self, errors: dict[int, str]) -> None:
        self.errors = errors
        super().__init__(AGENT, " ".join(errors.values()), retryable=False)


def _clean(text: str) -> str:
    return " ".join(text.split())


def _voice_seconds(narrations: list[str], speed: float) -> float:
    """About how long the narration takes at `speed`, with the narrator's pauses and margins."""
    spoken = sum(spoken_seconds(t) for t in narrations) / speed
    gaps = sum(max(0, len(sentences(t)) - 1) for t in narrations) * SENTENCE_GAP
    return spoken + gaps + len(narrations) * (LEAD_IN + TAIL)


def check_scenes(
    headlines: list[str], narrations: list[str], duration: int, edited: set[int] | None = None
) -> dict[int, str]:
    """What keeps these scenes from becoming a video ({} when nothing does). Headlines are
    checked for the scenes in `edited` (numbered from 1; None: all)."""
    errors: dict[int, str] = {}
    if not narrations:
        return {0: "Every scene would be removed; keep at least one."}
    for i, (headline, narration) in enumerate(zip(headlines, narrations, strict=True), 1):
        words = len(speakable(headline).split())
        if not re.search(r"\w", speakable(narration)):
            errors[i] = f"Scene {i} needs some narration (or remove the scene)."
        elif words > HEADLINE_MAX_WORDS and (edited is None or i in edited):
            errors[i] = f"Scene {i}'s headline has {words} words; at most {HEADLINE_MAX_WORDS} fit on screen."
    need = _voice_seconds(narrations, MAX_SPEED)
    if need > duration:
        errors[0] = (
            f"The narration needs about {need:.0f} s even at the fastest pace, and the video is "
            f"{duration} s; shorten it."
        )
    return errors


def check_edits(script: Script, board: Storyboard, edits: list[SceneEdit], duration: int) -> dict[int, str]:
    """Why these edits cannot be applied to this script and storyboard ({} when they can).

    Errors name scenes by the numbers the reviewer saw, before any removal.
    """
    n = len(script.scenes)
    errors: dict[int, str] = {}
    seen: set[int] = set()
    for e in edits:
        if e.number > n:
            errors[e.number] = f"There is no scene {e.number}; the draft has {n}."
        elif e.number in seen:
            errors[e.number] = f"Scene {e.number} is edited twice."
        seen.add(e.number)
    if errors:
        return errors
    by_number = {e.number: e for e in edits}
    headlines, narrations, numbers = [], [], []
    for i, (scene, plan) in enumerate(zip(script.scenes, board.scenes, strict=True), 1):
        e = by_number.get(i)
        if e and e.remove:
            continue
        narrations.append(_clean(e.narration) if e and e.narration is not None else scene.narration)
        headlines.append(_clean(e.headline) if e and e.headline is not None else plan.headline)
        numbers.append(i)
    edited = {k for k, i in enumerate(numbers, 1) if i in by_number and by_number[i].headline is not None}
    out = {}
    for k, message in check_scenes(headlines, narrations, duration, edited).items():
        number = numbers[k - 1] if k else 0
        out[number] = message.replace(f"Scene {k}", f"Scene {number}", 1) if k else message
    return out


def apply_edits(
    briefing: Briefing, script: Script, board: Storyboard, edits: list[SceneEdit], fps: int
) -> tuple[Script, Storyboard, list[str]]:
    """The script and storyboard with exactly these words, and notes on what changed.

    A scene whose narration changed has its kind read again from the new words (a stat's
    figure, a list's items), keeping the headline exactly as given or as it was. Raises
    EditError when an edit cannot be made (no such scene, empty narration, a headline over
    the limit, narration the video cannot hold).
    """
    duration = briefing.duration
    errors = check_edits(script, board, edits, duration)
    if errors:
        raise EditError(errors)
    by_number = {e.number: e for e in edits}
    scenes, plans, kept = [], [], []
    changed: list[str] = []
    removed: list[int] = []
    for i, (scene, plan) in enumerate(zip(script.scenes, board.scenes, strict=True), 1):
        e = by_number.get(i)
        if e and e.remove:
            removed.append(i)
            continue
        narration = _clean(e.narration) if e and e.narration is not None else scene.narration
        headline = _clean(e.headline) if e and e.headline is not None else plan.headline
        what = [
            w
            for w, new in (
                ("narration", narration != scene.narration),
                ("headline", headline != plan.headline),
            )
            if new
        ]
        if what:
            changed.append(f"scene {i} ({' and '.join(what)})")
            update = {"narration": narration}
            if "headline" in what:
                update["key_point"] = headline
            scene = scene.model_copy(update=update)
            plan = plan.model_copy(update={"headline": headline})
        scenes.append(scene)
        plans.append(plan)
        kept.append(e is None or "narration" not in what)
    if not changed and not removed:
        raise EditError({0: "The edits change nothing."})
    new_script = script.model_copy(update={"scenes": scenes})
    plans = _rekind(briefing, new_script, plans, kept)
    new_board = _timed(Storyboard(scenes=plans), new_script, kept, not removed, duration, fps)
    notes = [_summary(changed, removed)]
    if _voice_seconds([s.narration for s in scenes], HURRIED) > duration:
        notes.append(f"The narration is long for {duration} s; the voice will speak faster than usual.")
    return new_script, new_board, notes


_KIND_FIELDS = {
    "kind": "statement",
    "figure": "",
    "unit": "",
    "label": "",
    "items": [],
    "quote": "",
    "attribution": "",
}


def _rekind(briefing: Briefing, script: Script, plans: list[ScenePlan], kept: list[bool]) -> list[ScenePlan]:
    """Scenes with new narration get their kind and its fields read again from it."""
    if all(kept):
        return plans
    fresh = [p if k else p.model_copy(update=_KIND_FIELDS) for p, k in zip(plans, kept, strict=True)]
    assigned = assign_kinds(briefing, script, Storyboard(scenes=fresh)).scenes
    return [
        p if k else a.model_copy(update={"headline": p.headline})
        for p, a, k in zip(plans, assigned, kept, strict=True)
    ]


def _timed(
    board: Storyboard, script: Script, kept: list[bool], same_scenes: bool, duration: int, fps: int
) -> Storyboard:
    """Unchanged scenes keep their durations; edited ones share the rest by their words."""
    changed = [i for i, k in enumerate(kept) if not k]
    rest = duration - sum(p.duration for p, k in zip(board.scenes, kept, strict=True) if k)
    if not same_scenes or not changed or rest < len(changed) * MIN_SCENE_SECONDS:
        if same_scenes and not changed:
            return board
        return fit_durations(board, script, duration, fps, len(board.scenes))
    weights = [float(len(script.scenes[i].narration.split())) for i in changed]
    shares = allocate(rest, weights, [MIN_SCENE_SECONDS] * len(changed), fps)
    plans = list(board.scenes)
    for i, d in zip(changed, shares, strict=True):
        plans[i] = plans[i].model_copy(update={"duration": d})
    return Storyboard(scenes=plans)


def _summary(changed: list[str], removed: list[int]) -> str:
    parts = []
    if changed:
        parts.append("Edited " + _join(changed))
    if removed:
        parts.append(("removed " if parts else "Removed ") + _join([f"scene {i}" for i in removed]))
    return "; ".join(parts) + "."


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
