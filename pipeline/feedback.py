"""The built-in writer's reading of feedback: an instruction, never narration.

Without a model, feedback is applied where simple rules understand it ("shorter", "longer",
"scene 2: <words>", "headline 3: <words>", "remove scene 4", "more friendly"); anything else
gets a plain note that points to Edit scenes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from pipeline.agents.fixed_lines import CLOSERS, FIXED_LINES, OPENERS
from pipeline.agents.narrator import SENTENCE_GAP
from pipeline.agents.scriptwriter import offline_script, title_line
from pipeline.agents.storyboarder import plan_offline
from pipeline.briefing import Briefing, Tone
from pipeline.edits import EditError, SceneEdit, apply_edits, check_edits
from pipeline.models import Draft, Script, Storyboard
from pipeline.text import headline_from, sentences, spoken_seconds, wordset

TONE_WORDS: dict[str, Tone] = {
    "professional": Tone.PROFESSIONAL,
    "formal": Tone.PROFESSIONAL,
    "serious": Tone.PROFESSIONAL,
    "friendly": Tone.FRIENDLY,
    "friendlier": Tone.FRIENDLY,
    "warmer": Tone.FRIENDLY,
    "casual": Tone.FRIENDLY,
    "inspiring": Tone.INSPIRING,
    "inspirational": Tone.INSPIRING,
    "humorous": Tone.HUMOROUS,
    "funny": Tone.HUMOROUS,
    "funnier": Tone.HUMOROUS,
    "fun": Tone.HUMOROUS,
    "playful": Tone.HUMOROUS,
    "urgent": Tone.URGENT,
}
_TONES = "|".join(sorted(TONE_WORDS, key=len, reverse=True))
_LABEL = re.compile(r"^\s*(?:request(?:ed)? changes|feedback|changes)\s*:\s*", re.I)
_HEADLINE = re.compile(
    r"^\s*(?:headline(?:\s+(?:of|for)\s+scene)?\s*#?(\d+)|scene\s*#?(\d+)\s*(?:'s\s*)?headline)\s*[:=]\s*(.*)$",
    re.I,
)
_NARRATION = re.compile(
    r"^\s*(?:narration\s+(?:of|for)\s+)?scene\s*#?(\d+)\s*(?:'s\s*)?(?:narration|text)?\s*[:=]\s*(.*)$", re.I
)
_REMOVE = re.compile(
    r"\b(?:remove|delete|drop|cut|skip)\s+scenes?\s+#?(\d+(?:\s*(?:,|and|&)\s*(?:scene\s*)?#?\d+)*)",
    re.I,
)
_SHORTER = re.compile(
    r"\b(?:shorter|briefer|more concise|less text|fewer words|less narration|too long|too wordy|tighten)\b",
    re.I,
)
_LONGER = re.compile(r"\b(?:longer|more detail|more words|more narration|too short|expand)\b", re.I)
_TONE = re.compile(
    rf"\b(?:more|sound|be|make it|an?)\s+({_TONES})\b(?:\s+tone)?|\b(friendlier|funnier|warmer)\b"
    rf"|\b({_TONES})\s+tone\b",
    re.I,
)
# Words that carry no instruction of their own around the ones the rules understand.
_FILLER = wordset(
    """please make it the video a an bit little lot much more and also can you could we would i
    like to be is it's too this that narration script text request changes change thanks thank
    tone sound so just way overall maybe slightly"""
)


@dataclass
class Instructions:
    """What the rules understood in a piece of feedback, and what they did not."""

    edits: list[SceneEdit] = field(default_factory=list)
    length: int = 0  # -1 shorter, +1 longer
    tone: Tone | None = None
    unclear: list[str] = field(default_factory=list)


def read_feedback(text: str) -> Instructions:
    """Understand feedback line by line; a "scene N:" or "headline N:" line takes the rest of its line."""
    out = Instructions()
    edits: dict[int, SceneEdit] = {}

    def edit(number: int, **update: object) -> None:
        edits[number] = (edits.get(number) or SceneEdit(number=number)).model_copy(update=update)

    for raw in text.splitlines():
        line = _LABEL.sub("", raw).strip()
        if not line:
            continue
        if m := _HEADLINE.match(line):
            edit(int(m.group(1) or m.group(2)), headline=m.group(3).strip().strip('"“”'))
            continue
        if m := _NARRATION.match(line):
            edit(int(m.group(1)), narration=m.group(2).strip().strip('"“”'))
            continue
        rest = line
        for m in _REMOVE.finditer(line):
            for number in re.findall(r"\d+", m.group(1)):
                edit(int(number), remove=True)
            rest = rest.replace(m.group(0), " ")
        for pattern, length in ((_SHORTER, -1), (_LONGER, 1)):
            if pattern.search(rest):
                out.length = length
                rest = pattern.sub(" ", rest)
        if m := _TONE.search(rest):
            out.tone = TONE_WORDS[next(g for g in m.groups() if g).lower()]
            rest = _TONE.sub(" ", rest)
        left = [w for w in re.findall(r"[\w']+", rest) if w.lower() not in _FILLER]
        if left:
            out.unclear.append(line)
    out.edits = [edits[k] for k in sorted(edits)]
    return out


@dataclass
class Revision:
    """An offline revision: the (possibly re-toned) briefing, script, storyboard and notes."""

    briefing: Briefing
    script: Script
    board: Storyboard
    omitted: list[str]
    notes: list[str]


def _content_seconds(script: Script, title: str | None) -> float:
    """Voice time of the description's sentences in a script (not the title, opener or closer)."""
    own = {title} | FIXED_LINES
    return sum(
        spoken_seconds(s) + SENTENCE_GAP
        for scene in script.scenes
        for s in sentences(scene.narration)
        if s not in own
    )


def _retone(script: Script, old: Tone, new: Tone) -> Script:
    swaps = {OPENERS[old]: OPENERS[new], CLOSERS[old]: CLOSERS[new]}
    scenes = []
    for scene in script.scenes:
        text = scene.narration
        for a, b in swaps.items():
            text = text.replace(a, b)
        scenes.append(scene if text == scene.narration else scene.model_copy(update={"narration": text}))
    return script.model_copy(update={"scenes": scenes})


def revise_offline(briefing: Briefing, previous: Draft | None, feedback: str, fps: int) -> Revision:
    """Apply what the rules understand of `feedback` to the previous draft; say what they did not."""
    ins = read_feedback(feedback)
    # A tone asked for in an earlier round stays (the task's briefing keeps its first tone).
    base = briefing
    if previous is not None and previous.briefing.model_copy(update={"tone": briefing.tone}) == briefing:
        base = previous.briefing
    target = base.model_copy(update={"tone": ins.tone or base.tone})
    if previous is None:
        first = offline_script(base)
        script, board, omitted = first.script, plan_offline(base, first.script, fps), first.omitted
    else:
        script, board, omitted = previous.script, previous.storyboard, list(previous.omitted)
    notes: list[str] = []

    if ins.length and ins.edits:
        notes.append("Made no shorter or longer version in the same round as scene edits; ask for it next.")
    elif ins.length:
        now = _content_seconds(script, title_line(base.title))
        if ins.length > 0 and not omitted:
            notes.append(
                "Every sentence of the description is already in, and the built-in writer adds no "
                "words of its own: add detail to the description, or use Edit scenes."
            )
        else:
            written = offline_script(target, budget=now * (0.7 if ins.length < 0 else 1.5))
            later = _content_seconds(written.script, title_line(base.title))
            if written.script == script or (ins.length < 0 and later >= now):
                notes.append("The narration is as short as the built-in writer makes it.")
            else:
                script, omitted = written.script, written.omitted
                board = plan_offline(target, script, fps)
                word = "shorter" if ins.length < 0 else "longer"
                notes.append(
                    f"Made the narration {word}: about {later:.0f} s of voice instead of {now:.0f} s; the "
                    f"video stays {base.duration} s (its length is set in the briefing)."
                )
                notes += [n for n in written.notes if n.startswith("Left out")]
    if ins.tone and ins.tone != base.tone:
        retoned = _retone(script, base.tone, ins.tone)
        lines = " and its opening and closing lines" if retoned != script else ""
        script = retoned
        notes.append(f"Switched to the {ins.tone.value} tone: its music{lines}.")

    if ins.edits:
        # A reviewer who rewrote a scene's words wants its headline to match them.
        edits = [
            e.model_copy(update={"headline": headline_from(e.narration)})
            if e.narration and e.headline is None and not e.remove
            else e
            for e in ins.edits
        ]
        script, board, edit_notes = _apply_what_fits(target, script, board, edits, fps)
        notes += edit_notes
    if ins.unclear:
        quoted = "; ".join(f"“{u[:120]}”" for u in ins.unclear[:3])
        notes.append(
            f"The built-in writer cannot apply {quoted}. It follows simple requests (shorter, longer, "
            "scene 2: <words>, headline 3: <words>, remove scene 4, more friendly); use Edit scenes "
            "to change the words exactly."
        )
    if not notes:
        notes.append("The feedback asked for nothing the built-in writer could change.")
    return Revision(target, script, board, omitted, notes)


def _apply_what_fits(
    briefing: Briefing, script: Script, board: Storyboard, edits: list[SceneEdit], fps: int
) -> tuple[Script, Storyboard, list[str]]:
    """Apply the edits that can be made; the others become notes saying why not."""
    notes: list[str] = []
    for _round in range(3):
        problems = check_edits(script, board, edits, briefing.duration)
        if not problems:
            try:
                new_script, new_board, done = apply_edits(briefing, script, board, edits, fps)
            except EditError as exc:  # the edits change nothing
                return script, board, notes + list(exc.errors.values())
            return new_script, new_board, notes + done
        notes += list(problems.values())
        left = [e for e in edits if e.number not in problems]
        if 0 in problems or not left or len(left) == len(edits):
            break
        edits = left
    return script, board, notes
