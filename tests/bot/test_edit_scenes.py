"""Edit scenes: the reviewer's exact words become the next revision; bad edits are field errors."""

from __future__ import annotations

import json

from bot.tasks import Status, TaskStore
from tests.bot.support import SignedClient, click, drafted, edit_submission, eventually, jobs, run_jobs


async def open_editor(web_client: SignedClient, slack, task) -> dict:
    await web_client.interactive(click("edit_scenes", f"{task.id}:{task.revision}"))
    opened = await eventually(
        lambda: [v for v in slack.called("views.open") if v["view"]["callback_id"] == "edit_scenes"]
    )
    return opened[-1]["view"]


async def test_edited_words_become_the_next_revision_exactly(
    web_client: SignedClient, slack, redis, settings
) -> None:
    task = await drafted(web_client, redis, settings, view_id="VED1")
    view = await open_editor(web_client, slack, task)
    assert slack.refused == []  # the modal passed Block Kit validation
    words = "Teams get a free trial for thirty days."
    await web_client.interactive(edit_submission(view, {"n2": words, "h2": "Free for thirty days"}))
    assert await eventually(lambda: jobs(redis)) == [f"{task.id}-revise1"]
    await run_jobs(settings)

    store = TaskStore(redis)
    task = await store.get(task.id)
    assert task.status is Status.AWAITING_REVIEW and task.revision == 2
    draft = await store.get_draft(task.id, 2, settings.work_dir / task.id)
    assert draft.script.scenes[1].narration == words
    assert draft.storyboard.scenes[1].headline == "Free for thirty days"
    before = await store.get_draft(task.id, 1, settings.work_dir / task.id)
    assert draft.script.scenes[0] == before.script.scenes[0]  # the others are as they were
    rev2 = [p for p in slack.called("chat.postMessage") if "revision 2" in p["text"]]
    assert rev2 and "What changed: scene 2" in json.dumps(rev2[0]["blocks"])
    closed = [p for p in slack.called("chat.update") if "edited scene 2 of revision 1" in p["text"]]
    assert closed


async def test_bad_edits_come_back_on_their_fields(web_client: SignedClient, slack, redis, settings) -> None:
    task = await drafted(web_client, redis, settings, view_id="VED2")
    view = await open_editor(web_client, slack, task)

    resp = await web_client.interactive(edit_submission(view, {}))
    assert "Nothing changed" in json.loads(await resp.text())["errors"]["n1"]

    long_headline = "one two three four five six seven eight nine ten eleven twelve"
    resp = await web_client.interactive(edit_submission(view, {"h2": long_headline, "n1": "   "}))
    errors = json.loads(await resp.text())["errors"]
    assert "at most" in errors["h2"] and "needs some narration" in errors["n1"]
    assert await jobs(redis) == []
    assert (await TaskStore(redis).get(task.id)).revision == 1


async def test_a_stranger_cannot_open_the_editor(web_client: SignedClient, slack, redis, settings) -> None:
    task = await drafted(web_client, redis, settings, view_id="VED3")
    await web_client.interactive(click("edit_scenes", f"{task.id}:1", user="USTRANGER"))
    told = await eventually(lambda: slack.called("chat.postEphemeral"))
    assert "<@U1>" in told[0]["text"]
    assert not [v for v in slack.called("views.open") if v["view"]["callback_id"] == "edit_scenes"]
