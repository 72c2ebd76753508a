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
    media: str | None = Field(
        default=None,
        description="The key of the team's file this scene shows instead (moved from the scene that "
        'showed it), or "" for none (stock footage or generated art); None leaves it as it is',
    )
    stock_next: bool = Field(default=False, description="Stock scene: the next search result instead")
    stock_query: str | None = Field(
        default=None, max_length=100, description="Stock scene: search with this phrase instead of its words"
    )

    @property
    def words(self) -> bool:
        return self.headline is not None or self.narration is not None or self.remove


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


def check_edits(
    script: Script,
    board: Storyboard,
    edits: list[SceneEdit],
    duration: int,
    files: dict[str, str] | None = None,
) -> dict[int, str]:
    """Why these edits cannot be applied to this script and storyboard ({} when they can);
    `files` names the draft's own files by key (None: not checked).

    Errors name scenes by the numbers the reviewer saw, before any removal.
    """
    n = len(script.scenes)
    names = files or {}
    errors: dict[int, str] = {}
    seen: set[int] = set()
    chosen: dict[str, int] = {}
    for e in edits:
        if e.number > n:
            errors[e.number] = f"There is no scene {e.number}; the draft has {n}."
        elif e.number in seen:
            errors[e.number] = f"Scene {e.number} is edited twice."
        elif e.media and files is not None and e.media not in files:
            errors[e.number] = f"Scene {e.number}: that file is not in this draft."
        elif e.media and e.media in chosen:
            scenes = f"scenes {chosen[e.media]} and {e.number}"
            errors[e.number] = (
                f"{names.get(e.media, 'A file')} is chosen for {scenes}; a file shows in one scene."
            )
        if e.media:
            chosen.setdefault(e.media, e.number)
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
    given: dict[str, int] = {}  # a file the edits give a scene -> that scene's index in `plans`
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
            update = {"narration": narration}
            if "headline" in what:
                update["key_point"] = headline
            scene = scene.model_copy(update=update)
            plan = plan.model_copy(update={"headline": headline})
        if e is not None:
            plan, shown = _pictured(plan, e)
            what += shown
            if e.media:
                given[e.media] = len(plans)
        if what:
            changed.append(f"scene {i} ({' and '.join(what)})")
        scenes.append(scene)
        plans.append(plan)
        kept.append(e is None or "narration" not in what)
    # A file moved to an edited scene leaves the scene that showed it.
    plans = [
        p.model_copy(update={"media": None}) if p.media in given and given[p.media] != k else p
        for k, p in enumerate(plans)
    ]
    if not changed and not removed:
        raise EditError({0: "The edits change nothing."})
    new_script = script.model_copy(update={"scenes": scenes})
    plans = _rekind(briefing, new_script, plans, kept)
    new_board = _timed(Storyboard(scenes=plans), new_script, kept, not removed, duration, fps)
    notes = [_summary(changed, removed)]
    if _voice_seconds([s.narration for s in scenes], HURRIED) > duration:
        notes.append(f"The narration is long for {duration} s; the voice will speak faster than usual.")
    return new_script, new_board, notes


def _pictured(plan: ScenePlan, e: SceneEdit) -> tuple[ScenePlan, list[str]]:
    """The plan with the edit's picture choices, and what they changed, for the summary."""
    update: dict[str, object] = {}
    what = []
    if e.media is not None and (e.media or None) != plan.media:
        update["media"] = e.media or None
        what.append("picture")
    query = " ".join((e.stock_query or "").split())
    if e.stock_query is not None and query != plan.stock_query:
        update |= {"stock_query": query, "stock_skip": 0}
        what.append(f"stock search “{query}”" if query else "stock search from its words")
    if e.stock_next:
        update["stock_skip"] = int(update.get("stock_skip", plan.stock_skip)) + 1  # type: ignore[arg-type]
        what.append("next stock result")
    return plan.model_copy(update=update), what


def dropped_files(before: Storyboard, edits: list[SceneEdit], after: Storyboard) -> set[str]:
    """Files the reviewer took off a scene and gave to no other: they leave the video (instead
    of being handed to another scene by casting)."""
    taken_off = {
        before.scenes[e.number - 1].media
        for e in edits
        if e.media is not None and not e.remove and e.number <= len(before.scenes)
    }
    return {k for k in taken_off if k} - {p.media for p in after.scenes if p.media}


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
