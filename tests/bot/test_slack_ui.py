from pathlib import Path

from bot import slack_ui as ui
from bot.tasks import Task
from pipeline import Briefing, Draft
from pipeline.agents.scriptwriter import write_offline
from pipeline.agents.storyboarder import plan_offline

BRIEFING = Briefing(
    title="Meet Nimbus", description="Nimbus keeps files in sync. It works offline.", duration=40
)


def draft(revision: int = 1, change: int | None = None) -> Draft:
    script = write_offline(BRIEFING)
    if change is not None:
        scenes = list(script.scenes)
        scenes[change] = scenes[change].model_copy(update={"narration": "Different words entirely."})
        script = script.model_copy(update={"scenes": scenes})
    board = plan_offline(BRIEFING, script, 30)
    return Draft(
        briefing=BRIEFING,
        script=script,
        storyboard=board,
        contact_sheet=Path("s.png"),
        revision=revision,
        work_dir=Path("w"),
        estimated_render_seconds=12,
    )


def test_changed_scenes_names_exactly_the_edited_ones() -> None:
    assert ui.changed_scenes(draft(2, change=2), draft()) == [3]
    assert ui.changed_scenes(draft(2), draft()) == []
    assert ui.changed_scenes(draft(), None) == []


def test_draft_blocks_fit_slack_and_carry_the_revision() -> None:
    task = Task(id="t1", user="U1", channel="C1", briefing=BRIEFING, revision=2)
    text, blocks = ui.draft_blocks(task, draft(2, change=1), draft())
    assert len(blocks) <= 50 and "revision 2" in text
    actions = blocks[-1]["elements"]
    assert [a["value"] for a in actions] == ["t1:2"] * 3
    assert "What changed: scene 2" in blocks[0]["text"]["text"]
    assert all(len(b["text"]["text"]) <= 3000 for b in blocks if b["type"] == "section")
