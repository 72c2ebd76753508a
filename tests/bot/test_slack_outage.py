"""Slack rate limits and failures while a job reports progress and delivers its video."""

from __future__ import annotations

import json

from bot.tasks import Status, TaskStore
from tests.bot.support import SignedClient, click, drafted, eventually, retry, run_jobs, submission


async def _queued(web_client: SignedClient, redis, view_id: str) -> None:
    await web_client.interactive(submission(view_id=view_id))
    await eventually(lambda: redis.zrange("arq:queue", 0, -1))


async def test_429s_and_5xx_during_progress_and_upload_still_deliver_once(
    web_client: SignedClient, slack, redis, settings
) -> None:
    await _queued(web_client, redis, "VBUSY")
    for _ in range(3):
        slack.fail("chat.update", status=429, retry_after=1)
    for _ in range(8):  # two updates fail past their retries: skipped, not fatal
        slack.fail("chat.update", status=500)
    slack.fail("files.getUploadURLExternal", status=503)
    slack.fail("files.completeUploadExternal", status=429, retry_after=1)
    await run_jobs(settings)

    task = await TaskStore(redis).get("vbusy")
    assert task is not None and task.status is Status.DELIVERED
    done = slack.answered("files.completeUploadExternal")
    assert len(done) == 1 and task.file_id == done[0]["files"][0]["id"]
    assert len(slack.called("files.completeUploadExternal")) == 2  # the 429, then the retry
    assert slack.uploads[task.file_id][4:8] == b"ftyp"  # an MP4 arrived
    progress = [u for u in slack.answered("chat.update") if u["ts"] == task.progress_ts]
    assert progress and "100%" in progress[-1]["text"]  # later updates superseded the failed ones


async def test_upload_failing_past_its_retries_fails_with_retry_and_retry_delivers(
    web_client: SignedClient, slack, redis, settings
) -> None:
    await _queued(web_client, redis, "VDOWN")
    for _ in range(10):
        slack.fail("files.completeUploadExternal", status=500)
    await run_jobs(settings)

    store = TaskStore(redis)
    task = await store.get("vdown")
    assert task is not None and task.status is Status.FAILED and task.retryable
    assert task.file_id is None and task.delivered_revision is None
    note = [p for p in slack.called("chat.postMessage") if "did not take the upload" in p["text"]]
    assert note and note[0]["thread_ts"] == task.root_ts and "retry_task" in json.dumps(note[0]["blocks"])
    assert "HTTP 500" in note[0]["text"]
    assert not slack.answered("files.completeUploadExternal")

    slack.faults.clear()
    await retry(web_client, redis, settings, "vdown")
    task = await store.get("vdown")
    assert task is not None and task.status is Status.DELIVERED and task.attempts == 2
    assert len(slack.answered("files.completeUploadExternal")) == 1


def _review_posts(slack) -> list[dict]:
    return [p for p in slack.called("chat.postMessage") if "approve_draft" in json.dumps(p.get("blocks"))]


async def test_retry_after_an_approved_render_failed_renders_that_revision_again(
    web_client: SignedClient, slack, redis, settings
) -> None:
    task = await drafted(web_client, redis, settings, view_id="VAPPR")
    drafts = len(_review_posts(slack))
    await web_client.interactive(click("approve_draft", f"{task.id}:1"))
    await eventually(lambda: redis.zrange("arq:queue", 0, -1))
    for _ in range(10):
        slack.fail("files.completeUploadExternal", status=500)
    await run_jobs(settings)
    assert (await TaskStore(redis).get(task.id)).status is Status.FAILED

    slack.faults.clear()
    await retry(web_client, redis, settings, task.id)
    task = await TaskStore(redis).get(task.id)
    assert task is not None and task.status is Status.DELIVERED and task.revision == 1
    # The approved draft was rendered again; no new draft was written or sent for review.
    assert len(_review_posts(slack)) == drafts == 1 and await redis.get("oma:draft:vappr:2") is None


async def test_retry_of_a_revision_slack_refused_posts_it_without_applying_the_feedback_twice(
    web_client: SignedClient, slack, redis, settings
) -> None:
    task = await drafted(web_client, redis, settings, view_id="VREVR")
    for _ in range(10):  # the revision's contact sheet
        slack.fail("files.completeUploadExternal", status=500)
    reply = {"type": "message", "channel": "C1", "ts": "7.7", "thread_ts": task.root_ts, "user": "U1"}
    await web_client.event({**reply, "text": "scene 2: Teams get a free trial."})
    await eventually(lambda: redis.zrange("arq:queue", 0, -1))
    await run_jobs(settings)
    store = TaskStore(redis)
    assert (await store.get(task.id)).status is Status.FAILED

    slack.faults.clear()
    await retry(web_client, redis, settings, task.id)
    task = await store.get(task.id)
    assert task is not None and task.status is Status.AWAITING_REVIEW and task.revision == 2
    assert await redis.get("oma:draft:vrevr:3") is None
    draft = await store.get_draft(task.id, 2, settings.work_dir / task.id)
    narration = " ".join(s.narration for s in draft.script.scenes)
    assert narration.count("free trial") == 1
