from bot.slack import ui
from bot.tasks import Task
from tests.bot.support import BRIEFING, draft


def test_changed_scenes_names_exactly_the_edited_ones() -> None:
    assert ui.changed_scenes(draft(2, change=2), draft()) == [3]
    assert ui.changed_scenes(draft(2), draft()) == []
    assert ui.changed_scenes(draft(), None) == []


def test_draft_blocks_fit_slack_and_carry_the_revision() -> None:
    task = Task(id="t1", user="U1", channel="C1", briefing=BRIEFING, revision=2)
    text, blocks = ui.draft_blocks(task, draft(2, change=1), draft())
    assert len(blocks) <= 50 and "revision 2" in text
    actions = blocks[-1]["elements"]
    assert [a["value"] for a in actions] == ["t1:2"] * 4
    assert "What changed: scene 2" in blocks[0]["text"]["text"]
    assert all(len(b["text"]["text"]) <= 3000 for b in blocks if b["type"] == "section")


def test_draft_notes_reach_the_reviewer_escaped() -> None:
    task = Task(id="t1", user="U1", channel="C1", briefing=BRIEFING, revision=1)
    noted = draft().model_copy(update={"notes": ["Left out 2 sentences <!here> to fit 40 s."]})
    _, blocks = ui.draft_blocks(task, noted)
    context = [e["text"] for b in blocks if b["type"] == "context" for e in b["elements"]]
    assert any("Left out 2 sentences &lt;!here&gt; to fit 40 s." in t for t in context)
