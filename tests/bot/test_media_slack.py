"""Own media through Slack: the briefing form's file input, files fetched with the bot token
through the emulator's file API, checked, and the draft in the thread says which scene shows
which file and which file was left out and why."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image

from bot.tasks import TaskStore
from tests.bot.support import BOT_TOKEN, drafted, eventually, run_jobs, submission

pytestmark = pytest.mark.slow


def _png(tmp_path: Path) -> bytes:
    path = tmp_path / "shot.png"
    Image.new("RGB", (320, 180), (200, 40, 40)).save(path)
    return path.read_bytes()


async def test_files_from_the_form_are_fetched_checked_and_shown_in_the_draft(
    web_client, slack, redis, settings, tmp_path: Path
):
    await web_client.command("")
    form = (await eventually(lambda: slack.called("views.open")))[-1]["view"]
    block = next(b for b in form["blocks"] if b["block_id"] == "media")
    assert block["element"]["type"] == "file_input" and block["optional"]
    assert "20 MB" in block["hint"]["text"] and "60 s" in block["hint"]["text"]

    good = slack.share("shot.png", _png(tmp_path))
    bad = slack.share("<!channel>.png", b"this is plain text, not a picture")
    payload = submission(
        view_id="VMEDIA",
        skip=False,
        description="Nimbus keeps your files in sync across laptops, phones and the office server. "
        "It works offline. Try it free.",
        duration="30",
    )
    files = {"type": "file_input", "files": [{"id": good}, {"id": bad}]}
    payload["view"]["state"]["values"]["media"] = {"value": files}
    await web_client.interactive(payload)
    await eventually(lambda: redis.zrange("arq:queue", 0, -1))
    task = await TaskStore(redis).get("vmedia")
    assert task is not None and task.media == [good, bad]
    await run_jobs(settings)

    assert sorted(slack.downloads) == sorted([(good, f"Bearer {BOT_TOKEN}"), (bad, f"Bearer {BOT_TOKEN}")])
    task = await TaskStore(redis).get("vmedia")
    assert task is not None and task.status.value == "awaiting_review", task
    posted = json.dumps(slack.called("chat.postMessage") + slack.called("chat.update"))
    assert ":frame_with_picture: shows _shot.png_" in posted
    # Named (escaped, so it mentions nobody) with the reason; the draft went on without it.
    assert "&lt;!channel&gt;.png was not used: its content is text" in posted
    assert "<!channel>" not in posted


async def test_files_shared_in_the_thread_are_used_by_the_next_revision(
    web_client, slack, redis, settings, tmp_path: Path
):
    task = await drafted(web_client, redis, settings, view_id="VTHREAD")
    assert task is not None and task.status.value == "awaiting_review"
    shot = slack.share("screen.png", _png(tmp_path))
    # A stranger's files are not taken; the requester's, with no words, are "use these".
    for user, file_id in (("USTRANGER", slack.share("other.png", _png(tmp_path))), ("U1", shot)):
        resp = await web_client.event(
            {
                "type": "message",
                "subtype": "file_share",
                "channel": "C1",
                "ts": "9.9",
                "thread_ts": task.root_ts,
                "user": user,
                "text": "",
                "files": [{"id": file_id}],
            },
            event_id=f"Ev-{user}",
        )
        assert resp.status == 200
    await eventually(lambda: redis.zrange("arq:queue", 0, -1))
    await run_jobs(settings)
    task = await TaskStore(redis).get("vthread")
    assert task is not None and task.thread_media == [shot] and task.revision == 2, task
    assert [d[0] for d in slack.downloads] == [shot]
    draft = await TaskStore(redis).get_draft(task.id, 2, settings.work_dir / "unused")
    assert draft is not None and [m.name for m in draft.media] == ["screen.png"]
    assert any(p.media == draft.media[0].key for p in draft.storyboard.scenes)
    assert draft.feedback is None and not any("could not" in n for n in draft.notes), draft.notes
