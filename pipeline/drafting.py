"""A draft's words and plan: a first draft, a revision from feedback, or exact scene edits.

`make_draft` (pipeline.run) calls `plan_draft`, then draws the contact sheet from its result.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from pipeline.agents.scriptwriter import AGENT as SCRIPTWRITER
from pipeline.agents.scriptwriter import write_script
from pipeline.agents.storyboarder import AGENT as STORYBOARDER
from pipeline.agents.storyboarder import plan_storyboard
from pipeline.briefing import Briefing
from pipeline.edits import SceneEdit, apply_edits
from pipeline.feedback import revise_offline
from pipeline.llm import ChatModel
from pipeline.models import Draft, Script, Storyboard, Usage

Report = Callable[[str, float, str], None]


@dataclass
class Planned:
    """Script and storyboard, with what they cost and what the draft should say about them."""

    briefing: Briefing
    script: Script
    board: Storyboard
    usage: list[Usage]
    notes: list[str] = field(default_factory=list)
    omitted: list[str] = field(default_factory=list)


def plan_draft(
    briefing: Briefing,
    llm: ChatModel | None,
    fps: int,
    report: Report,
    previous: Draft | None = None,
    feedback: str | None = None,
    edits: list[SceneEdit] | None = None,
) -> Planned:
    """The next draft's script and storyboard.

    Exact edits change only the scenes they name. Feedback goes to the model when there is
    one; offline the built-in rules apply what they understand of it, never speaking it.
    """
    report("script", 0, "Writing the script")
    if edits is not None:
        if previous is None:
            raise ValueError("scene edits need the draft they edit")
        script, board, notes = apply_edits(
            previous.briefing, previous.script, previous.storyboard, edits, fps
        )
        report("script", 1, "Scenes edited")
        report("storyboard", 1, "Storyboard kept")
        return Planned(previous.briefing, script, board, [], notes, list(previous.omitted))
    if feedback and llm is None:
        rev = revise_offline(briefing, previous, feedback, fps)
        report("script", 1, f"Script revised: {len(rev.script.scenes)} scenes")
        report("storyboard", 1, "Storyboard planned")
        usage = [Usage(agent=SCRIPTWRITER), Usage(agent=STORYBOARDER)]
        return Planned(rev.briefing, rev.script, rev.board, usage, rev.notes, rev.omitted)
    written = write_script(briefing, llm, previous.script if previous else None, feedback)
    script = written.script
    report("script", 1, f"Script written: {len(script.scenes)} scenes, {script.word_count} words")
    report("storyboard", 0, "Planning the scenes")
    notes = list(written.notes)
    board, usage = plan_storyboard(briefing, script, llm, fps, notes=notes)
    report("storyboard", 1, "Storyboard planned")
    return Planned(briefing, script, board, [written.usage, usage], notes, written.omitted)
