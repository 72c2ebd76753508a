"""Stock footage through Slack: the draft shows each scene's pick (thumbnail and credit), Edit
scenes asks for the next result, a search phrase, or moves the team's file, and the delivery
credits the footage as Pexels asks. Every message and view passes Block Kit validation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image
from pydantic import SecretStr

from bot.tasks import Status, TaskStore
from tests.bot.support import click, edit_submission, eventually, jobs, run_jobs, submission
from tests.fakes.pexels import KEY

pytestmark = pytest.mark.slow


@pytest.fixture
def settings(settings, pexels, tmp_path: Path):
    """The bot's settings with stock footage from the loopback Pexels."""
    _, url = pexels
    return settings.model_copy(
        update={
            "art_backend": "stock",
            "pexels_api_key": SecretStr(KEY),
            "pexels_url": url,
            "stock_dir": tmp_path / "stock",
        }
    )


def _picks(draft) -> list[int | str | None]:
    """Per scene: the Pexels id it shows, "own" for the team's file, None for procedural art."""
    ids = {m.key: m.credit.id for m in draft.stock if m.credit}
    own = {m.key for m in draft.media}
    return ["own" if p.media in own else ids.get(p.media or "") for p in draft.storyboard.scenes]


async def test_stock_picks_in_the_draft_edit_scenes_and_the_credit_on_delivery(
    web_client, slack, redis, settings, pexels, tmp_path: Path
) -> None:
    fake, _ = pexels
    Image.new("RGB", (320, 180), (200, 40, 40)).save(tmp_path / "shot.png")
    shot = slack.share("shot.png", (tmp_path / "shot.png").read_bytes())
    payload = submission(
        view_id="VSTOCK",
        skip=False,
        description="Nimbus keeps every laptop in the office in sync. Every phone gets each update at "
        "once, wherever you are. Try it free for thirty days.",
        duration="30",
    )
    payload["view"]["state"]["values"]["media"] = {"value": {"type": "file_input", "files": [{"id": shot}]}}
    await web_client.interactive(payload)
    await eventually(lambda: jobs(redis))
    await run_jobs(settings)
    store = TaskStore(redis)
    task = await store.get("vstock")
    assert task is not None and task.status is Status.AWAITING_REVIEW, task
    first = await store.get_draft(task.id, 1, settings.task_dir(task.id))
    assert _picks(first) == [101, "own", 103, 102]

    # The draft: each stock scene credited with links, its pick as a thumbnail beside its words.
    (posted,) = [p for p in slack.called("chat.postMessage") if "Draft" in p["text"]]
    scene1 = posted["blocks"][1]
    assert scene1["accessory"]["type"] == "image" and scene1["accessory"]["image_url"].endswith(
        "poster-101.jpg"
    )
    assert (
        ":film_frames: Video by <https://www.pexels.com/@maker-101|Maker 101> on "
        "<https://www.pexels.com/video/city-traffic-at-night-101/|Pexels> · found with “technology abstract”"
    ) in scene1["text"]["text"]
    assert ":frame_with_picture: shows _shot.png_" in posted["blocks"][2]["text"]["text"]

    # Edit scenes: the file moves from scene 2 to scene 3, scene 4 gets a phrase, scene 1 the next
    # result. Title and closing have no file choice (casting gives them none while others can).
    await web_client.interactive(click("edit_scenes", f"{task.id}:1"))
    opened = await eventually(
        lambda: [v for v in slack.called("views.open") if v["view"]["callback_id"] == "edit_scenes"]
    )
    view = opened[-1]["view"]
    ids = [b.get("block_id") for b in view["blocks"]]
    assert ids[:8] == ["h1", "n1", "s1", "r1", "h2", "n2", "m2", "s2"] and "m4" not in ids
    phrase = next(b for b in view["blocks"] if b.get("block_id") == "s3")
    assert phrase["element"]["placeholder"]["text"] == "Now: phone update"
    edit = edit_submission(
        view, picks={"m3": f"file:{first.media[0].key}"}, phrases={"s4": "coffee cup"}, ticks={"r1": ["next"]}
    )
    resp = await web_client.interactive(edit)
    assert resp.status == 200 and await resp.text() == ""
    await eventually(lambda: jobs(redis))
    await run_jobs(settings)
    task = await store.get(task.id)
    second = await store.get_draft(task.id, 2, settings.task_dir(task.id))
    assert task.revision == 2 and second is not None
    picks = _picks(second)
    assert picks[2] == "own" and picks[3] == 301 and picks[0] not in (None, 101) and picks[1] is not None
    assert "coffee cup" in fake.searched()
    closed = [p for p in slack.called("chat.update") if "edited scenes 1, 3, 4 of revision 1" in p["text"]]
    assert closed, [p["text"] for p in slack.called("chat.update")]

    # Approved and rendered: the delivery credits the footage in the video, with links.
    await web_client.interactive(click("approve_draft", f"{task.id}:2"))
    await eventually(lambda: jobs(redis))
    await run_jobs(settings)
    task = await store.get(task.id)
    assert task.status is Status.DELIVERED, task
    delivered = slack.called("files.completeUploadExternal")[-1]["initial_comment"]
    assert ":film_frames: Stock footage: " in delivered
    assert (
        "Photo by <https://www.pexels.com/@ann-photo|Ann Photo> on <https://www.pexels.com/photo/"
        in delivered
    )
    assert slack.refused == []  # every message and view passed Block Kit validation


async def test_a_draft_whose_thumbnails_slack_cannot_fetch_is_posted_without_them(
    web_client, slack, redis, settings, pexels
) -> None:
    _fake, url = pexels
    slack.unfetchable = {url}  # Slack refuses a whole message when one image will not download
    payload = submission(
        view_id="VTHUMB", skip=False, description="Every laptop in the office stays in sync."
    )
    await web_client.interactive(payload)
    await eventually(lambda: jobs(redis))
    await run_jobs(settings)
    task = await TaskStore(redis).get("vthumb")
    assert task is not None and task.status is Status.AWAITING_REVIEW, task
    drafts = [p for p in slack.called("chat.postMessage") if "Draft" in p["text"]]
    assert len(drafts) == 2 and [m for m, _ in slack.refused] == ["chat.postMessage"]
    assert "accessory" in json.dumps(drafts[0]["blocks"]) and "image" not in json.dumps(drafts[1]["blocks"])
    assert task.review_ts  # the review message exists: its buttons are there to click
