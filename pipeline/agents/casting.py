"""Casting: which scene shows which of the team's own pictures and clips.

One rule for every path (the built-in planner, a model's storyboard, a revision): a scene
keeps a file it already shows when that file is still in the list and the scene may show
media; the files left go, in their order, to the scenes without one, spread evenly over
the statement, list and stat scenes (then quotes). Title and closing get files only when a
video has no other scenes. A file no scene can take is named in the notes.
"""

from __future__ import annotations

from pipeline.media import MediaItem, label
from pipeline.models import Storyboard

BODY_KINDS = ("statement", "list", "stat")


def eligible(board: Storyboard) -> tuple[list[int], list[int]]:
    """Scene indices that may show media: those filled first, and those used when they run out."""
    kinds = [p.kind for p in board.scenes]
    body = [i for i, k in enumerate(kinds) if k in BODY_KINDS]
    quotes = [i for i, k in enumerate(kinds) if k == "quote"]
    if body or quotes:
        return body, quotes
    return list(range(len(kinds))), []


def _spread(free: list[int], count: int) -> list[int]:
    """`count` of the `free` scenes, evenly spaced, in order."""
    if count >= len(free):
        return free
    n = len(free)
    return [free[min(n - 1, max(0, round((k + 0.5) * n / count - 0.5)))] for k in range(count)]


def assign_media(board: Storyboard, media: list[MediaItem]) -> tuple[Storyboard, list[str]]:
    """The storyboard with each scene's `media` set by the rule above, and notes for files left over."""
    keys = {m.key for m in media}
    first, then = eligible(board)
    allowed = first + then
    plans = list(board.scenes)
    used: set[str] = set()
    for i, plan in enumerate(plans):
        keep = plan.media in keys and plan.media not in used and i in allowed
        if keep:
            used.add(plan.media)  # type: ignore[arg-type]
        elif plan.media is not None:
            plans[i] = plan.model_copy(update={"media": None})
    waiting = [m for m in media if m.key not in used]
    free = [i for i in first if plans[i].media is None]
    more = [i for i in then if plans[i].media is None]
    chosen = (
        _spread(free, len(waiting))
        if len(waiting) <= len(free)
        else free + _spread(more, len(waiting) - len(free))
    )
    chosen = sorted(chosen)  # the files in their order, scene by scene
    for i, item in zip(chosen, waiting, strict=False):
        plans[i] = plans[i].model_copy(update={"media": item.key})
    notes = [
        f"{label(m.name)} was not used: the video has no scene left for it (more files than scenes)."
        for m in waiting[len(chosen) :]
    ]
    return Storyboard(scenes=plans), notes


def shown_by(board: Storyboard, media: list[MediaItem]) -> list[MediaItem | None]:
    """Per scene, the file it shows (or None)."""
    by_key = {m.key: m for m in media}
    return [by_key.get(p.media or "") for p in board.scenes]
