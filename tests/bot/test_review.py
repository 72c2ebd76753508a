"""Review in the thread: draft, approve, revise (modal and thread reply), cancel, strangers, replays."""

from __future__ import annotations

import asyncio
import json

from arq.connections import ArqRedis
from arq.jobs import Job

from bot.tasks import Status, TaskStore
from tests.bot.support import (
    click,
    drafted,
    eventually,
    feedback_submission,
    jobs,
    listeners_settled,
    run_jobs,
    serve,
    submission,
)
from tests.media import probe


async def test_draft_is_posted_for_review(web_client, slack, redis, settings) -> None:
    task = await drafted(web_client, redis, settings)
    assert task.status is Status.AWAITING_REVIEW and task.revision == 1
    draft_msg = next(p for p in slack.called("chat.postMessage") if "Draft" in p["text"])
    assert draft_msg["thread_ts"] == task.root_ts
    text = json.dumps(draft_msg["blocks"])
    assert "approve_draft" in text and "request_changes" in text and '"confirm"' in text
    assert "0:00" in text  # scenes with their time ranges
    sheet = slack.called("files.completeUploadExternal")[0]
    assert sheet["thread_ts"] == task.root_ts
    assert slack.uploads[sheet["files"][0]["id"]][:4] == b"\x89PNG"
    assert not [
        p for p in slack.called("files.getUploadURLExternal") if p.get("filename", "").endswith(".mp4")
    ]


async def test_stranger_is_told_who_can_and_nothing_happens(web_client, slack, redis, settings) -> None:
    task = await drafted(web_client, redis, settings)
    await web_client.interactive(click("approve_draft", f"{task.id}:1", user="USTRANGER"))
    told = await eventually(lambda: slack.called("chat.postEphemeral"))
    assert told[0]["user"] == "USTRANGER" and "<@U1>" in told[0]["text"]
    assert await jobs(redis) == [] and (await TaskStore(redis).get(task.id)).status is Status.AWAITING_REVIEW


async def test_revise_by_modal_then_stale_and_double_approve(web_client, slack, redis, settings) -> None:
    task = await drafted(web_client, redis, settings)
    await web_client.interactive(click("request_changes", f"{task.id}:1"))
    modal = await eventually(lambda: slack.called("views.open"))
    view = modal[0]["view"]
    feedback = feedback_submission(view, "scene 2: Teams get a free trial for 30 days.")
    await web_client.interactive(feedback)
    await eventually(lambda: jobs(redis))
    await run_jobs(settings)
    task = await TaskStore(redis).get(task.id)
    assert task.revision == 2 and task.status is Status.AWAITING_REVIEW
    rev2 = [p for p in slack.called("chat.postMessage") if "revision 2" in p["text"]]
    assert rev2 and "free trial" in json.dumps(rev2[0]["blocks"])
    assert "What changed: scene" in json.dumps(rev2[0]["blocks"])

    await web_client.interactive(click("approve_draft", f"{task.id}:1"))  # the old revision
    stale = await eventually(
        lambda: [e for e in slack.called("chat.postEphemeral") if "no longer current" in e["text"]]
    )
    assert stale and await jobs(redis) == []

    for _ in range(3):
        await web_client.interactive(click("approve_draft", f"{task.id}:2"))
    await eventually(lambda: jobs(redis))
    assert await jobs(redis) == [f"{task.id}-render2"]
    approved = [u for u in slack.called("chat.update") if "Approved by" in u.get("text", "")]
    assert len(approved) == 1 and "approve_draft" not in json.dumps(approved[0]["blocks"])
    await run_jobs(settings)
    task = await TaskStore(redis).get(task.id)
    assert task.status is Status.DELIVERED and task.approved_by == "U1"
    videos = [
        p for p in slack.called("files.completeUploadExternal") if p["files"][0]["title"] == "Meet Nimbus"
    ]
    assert len(videos) == 1
    video = settings.output_dir / f"{task.id}.mp4"
    assert abs(probe(video).duration - 15) <= 0.1


async def test_thread_reply_counts_as_feedback_and_bots_are_ignored(
    web_client, slack, redis, settings
) -> None:
    task = await drafted(web_client, redis, settings)

    async def event(**fields) -> None:
        resp = await web_client.event(
            {"type": "message", "channel": "C1", "ts": "9.9", "thread_ts": task.root_ts, **fields}
        )
        assert resp.status == 200

    await event(user="UBOT", bot_id="B1", text="I am the bot talking")
    await event(user="U1", subtype="message_changed", text="an edit")
    await event(user="USTRANGER", text="Make it pink please")
    await event(user="U1", text="Make the ending more upbeat.")
    assert await eventually(lambda: jobs(redis)) == [f"{task.id}-revise1"]
    # Had any reply above been taken as feedback, its words would be in this (one) job.
    info = await Job(f"{task.id}-revise1", ArqRedis(connection_pool=redis.connection_pool)).info()
    assert info is not None and info.args[1] == "Make the ending more upbeat."
    await event(user="U1", text="Make the ending more upbeat.")  # a replay changes nothing twice
    await listeners_settled()
    assert await jobs(redis) == [f"{task.id}-revise1"]


async def test_cancel_button_stops_the_task(web_client, slack, redis, settings) -> None:
    task = await drafted(web_client, redis, settings)
    await web_client.interactive(click("cancel_task", f"{task.id}:1"))
    await eventually(
        lambda: [p for p in slack.called("chat.postMessage") if "cancelled this video" in p["text"]]
    )
    assert (await TaskStore(redis).get(task.id)).status is Status.CANCELLED
    await web_client.interactive(click("approve_draft", f"{task.id}:1"))
    await eventually(
        lambda: [e for e in slack.called("chat.postEphemeral") if "no longer current" in e["text"]]
    )
    assert await jobs(redis) == []


async def test_unreviewed_draft_expires_with_a_restart_button(web_client, slack, redis, settings) -> None:
    from bot.crons import expire_drafts
    from bot.worker import shutdown, startup

    ctx = {"redis": redis, "settings": settings.model_copy(update={"draft_ttl_hours": 3 / 3600})}
    await startup(ctx)  # first: loading the voice must not eat into the draft's 3 s
    task = await drafted(web_client, redis, settings)
    try:
        assert await expire_drafts(ctx) == 0  # not old enough yet
        await asyncio.sleep(3.1)
        assert await expire_drafts(ctx) == 1
        assert await expire_drafts(ctx) == 0  # once
    finally:
        await shutdown(ctx)
    task = await TaskStore(redis).get(task.id)
    assert task.status is Status.EXPIRED
    note = [p for p in slack.called("chat.postMessage") if "expired" in p["text"]]
    assert note and note[0]["thread_ts"] == task.root_ts and "retry_task" in json.dumps(note[0]["blocks"])
    await web_client.interactive(click("retry_task", task.id))
    assert await eventually(lambda: jobs(redis)) == [f"{task.id}-retry{task.attempts}"]


async def test_revise_after_delivery_uploads_once_per_revision(web_client, slack, redis, settings) -> None:
    # Skip review: straight to a video. More to say than 15 s holds: the writer leaves some out.
    many = " ".join(f"Nimbus feature {n} saves your team an hour every week." for n in range(1, 9))
    await web_client.interactive(submission(view_id="VAFTER", description=many))
    await eventually(lambda: jobs(redis))
    await run_jobs(settings)
    task = await TaskStore(redis).get("vafter")
    assert task.status is Status.DELIVERED and task.delivered_revision == 1
    # With no review to read them in, the writer's notes come with "Script ready".
    ready = next(p["text"] for p in slack.called("chat.postMessage") if "Script ready" in p.get("text", ""))
    assert ":information_source: Left out" in ready, ready
    offer = [p for p in slack.called("chat.postMessage") if "revise_video" in json.dumps(p.get("blocks"))]
    assert offer and offer[0]["thread_ts"] == task.root_ts

    await web_client.interactive(click("revise_video", f"{task.id}:1"))
    modal = (await eventually(lambda: slack.called("views.open")))[0]["view"]
    await web_client.interactive(feedback_submission(modal, "Add a line about pricing."))
    await eventually(lambda: jobs(redis))
    await run_jobs(settings)
    task = await TaskStore(redis).get(task.id)
    assert task.status is Status.AWAITING_REVIEW and task.revision == 2
    await web_client.interactive(click("approve_draft", f"{task.id}:2"))
    await eventually(lambda: jobs(redis))
    await run_jobs(settings)
    task = await TaskStore(redis).get(task.id)
    assert task.status is Status.DELIVERED and task.delivered_revision == 2
    videos = [
        p for p in slack.called("files.completeUploadExternal") if p["files"][0]["title"] == "Meet Nimbus"
    ]
    assert len(videos) == 2  # one per approved revision
    await run_jobs(settings)  # nothing left: no third upload
    assert (
        len(
            [
                p
                for p in slack.called("files.completeUploadExternal")
                if p["files"][0]["title"] == "Meet Nimbus"
            ]
        )
        == 2
    )


async def test_approvers_by_user_group(web_client, slack, redis, settings) -> None:
    slack.groups["SREVIEWERS"] = ["UREVIEWER"]
    grouped = settings.model_copy(update={"approvers": ["SREVIEWERS"]})
    async with serve(grouped) as client:
        task = await drafted(client, redis, grouped, view_id="VGROUP")
        await client.interactive(click("approve_draft", f"{task.id}:1", user="UOUTSIDER"))
        await eventually(lambda: slack.called("chat.postEphemeral"))
        assert await jobs(redis) == []
        await client.interactive(click("approve_draft", f"{task.id}:1", user="UREVIEWER"))
        assert await eventually(lambda: jobs(redis)) == [f"{task.id}-render1"]
        assert slack.called("usergroups.users.list")[0]["usergroup"] == "SREVIEWERS"
