"""The Slack-facing app over HTTP: signed requests in, Slack emulator and real Redis behind."""

from __future__ import annotations

import json
import time
from pathlib import Path

from arq.worker import Worker

from bot.tasks import Status, TaskStore
from bot.worker import worker_settings
from tests.bot.support import SignedClient, eventually, listeners_settled, submission
from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.server import ThreadedServer
from tests.media import probe


async def test_video_opens_the_modal(web_client: SignedClient, slack) -> None:
    resp = await web_client.command("")
    assert resp.status == 200
    opened = await eventually(lambda: slack.called("views.open"))
    assert opened[0]["view"]["callback_id"] == "briefing"
    assert opened[0]["trigger_id"].startswith("trig-")


async def test_video_text_prefills_the_description(web_client: SignedClient, slack) -> None:
    await web_client.command("A launch video for Nimbus, our sync app")
    opened = await eventually(lambda: slack.called("views.open"))
    desc = next(b for b in opened[0]["view"]["blocks"] if b["block_id"] == "description")
    assert desc["element"]["initial_value"] == "A launch video for Nimbus, our sync app"


async def test_each_field_error_comes_back_on_its_block(web_client: SignedClient, redis) -> None:
    cases = {
        "title": ("x", "Title must be at least 3 characters"),
        "description": ("short", "Description must be at least 10"),
        "duration": ("500", "Duration must be between 15 and 180 seconds"),
        "style": ("baroque", "Style must be one of"),
    }
    for field, (value, message) in cases.items():
        resp = await web_client.interactive(submission(view_id=f"V{field}", **{field: value}))
        body = json.loads(await resp.text())
        assert body["response_action"] == "errors"
        assert message in body["errors"][field]
    assert await redis.zcard("arq:queue") == 0


async def test_valid_submission_posts_root_message_and_one_job(
    web_client: SignedClient, slack, redis
) -> None:
    resp = await web_client.interactive(submission(view_id="VOK1"))
    assert resp.status == 200 and (await resp.text()) == ""
    posts = await eventually(lambda: slack.called("chat.postMessage"))
    assert posts[0]["channel"] == "C1" and "Meet Nimbus" in posts[0]["text"]
    assert "vok1" in json.dumps(posts[0]["blocks"])  # the task id is shown
    jobs = await eventually(lambda: redis.zrange("arq:queue", 0, -1))
    assert [j.decode() for j in jobs] == ["vok1"]
    task = await TaskStore(redis).get("vok1")
    assert (
        task is not None
        and task.status is Status.QUEUED
        and task.root_ts == slack.answered("chat.postMessage")[0]["ts"]
    )
    assert task.user == "U1" and task.briefing.duration == 15


async def test_duplicate_submission_makes_one_task(web_client: SignedClient, slack, redis) -> None:
    for _ in range(5):
        await web_client.interactive(submission(view_id="VDUP"))
    await eventually(lambda: redis.zrange("arq:queue", 0, -1))
    await listeners_settled()
    assert await redis.zcard("arq:queue") == 1
    assert len(slack.called("chat.postMessage")) == 1


async def test_rate_limit_gives_the_wait(web_client: SignedClient, redis) -> None:
    for i in range(5):
        body = await (await web_client.interactive(submission(view_id=f"VR{i}"))).text()
        assert body == ""
    body = json.loads(await (await web_client.interactive(submission(view_id="VR9"))).text())
    assert "limit" in body["errors"]["title"] and " s." in body["errors"]["title"]


async def test_help_list_status_cancel_stats(web_client: SignedClient, redis) -> None:
    help_body = json.loads(await (await web_client.command("help")).text())
    assert "/video list" in json.dumps(help_body["blocks"])
    empty = json.loads(await (await web_client.command("list")).text())
    assert "no videos yet" in json.dumps(empty["blocks"])

    await web_client.interactive(submission(view_id="VS1"))
    await eventually(lambda: redis.zrange("arq:queue", 0, -1))
    listed = json.dumps(json.loads(await (await web_client.command("list")).text())["blocks"])
    assert "vs1" in listed and "Meet Nimbus" in listed
    status = json.dumps(json.loads(await (await web_client.command("status vs1")).text())["blocks"])
    assert "queued" in status
    missing = json.dumps(json.loads(await (await web_client.command("status nope")).text())["blocks"])
    assert "No video with id" in missing
    stranger = json.dumps(
        json.loads(await (await web_client.command("cancel vs1", user="U2")).text())["blocks"]
    )
    assert "Only the person who asked" in stranger
    cancel = json.dumps(json.loads(await (await web_client.command("cancel vs1")).text())["blocks"])
    assert "Cancelling" in cancel
    task = await TaskStore(redis).get("vs1")
    assert task is not None and task.status is Status.CANCELLED
    stats = json.dumps(json.loads(await (await web_client.command("stats")).text())["blocks"])
    assert "cancelled: 1" in stats and "Queue depth: 1" in stats


async def test_forged_and_stale_signatures_are_rejected(web_client: SignedClient) -> None:
    body = "command=%2Fvideo&text=help&user_id=U1&channel_id=C1"
    forged = web_client.sign(body, secret="not-the-secret")
    assert (await web_client.raw(body, forged)).status == 401
    stale = web_client.sign(body, ts=int(time.time()) - 6 * 60)
    assert (await web_client.raw(body, stale)).status == 401
    assert (await web_client.raw(body, {"Content-Type": "application/x-www-form-urlencoded"})).status == 401


async def test_oversized_body_is_refused(web_client: SignedClient) -> None:
    body = "text=" + "x" * (300 * 1024)
    assert (await web_client.raw(body, web_client.sign(body))).status == 413


async def test_slack_429_is_retried(web_client: SignedClient, slack, redis) -> None:
    slack.fail("chat.postMessage", status=429, retry_after=1)
    await web_client.interactive(submission(view_id="V429"))
    await eventually(lambda: len(slack.called("chat.postMessage")) == 2, within=10)
    task = await eventually(lambda: TaskStore(redis).get("v429"))
    await eventually(lambda: redis.zrange("arq:queue", 0, -1))
    assert task.briefing.title == "Meet Nimbus"


async def test_not_in_channel_tells_the_user_and_keeps_the_briefing(
    web_client: SignedClient, slack, redis
) -> None:
    slack.fail("chat.postMessage", error="not_in_channel")
    await web_client.interactive(submission(view_id="VNIC"))
    dm = await eventually(lambda: [p for p in slack.called("chat.postMessage") if p["channel"] == "U1"])
    assert "/invite @OMA" in dm[0]["text"]
    assert "retry_task" in json.dumps(dm[0]["blocks"])
    task = await TaskStore(redis).get("vnic")
    assert task is not None and task.status is Status.FAILED and task.briefing.title == "Meet Nimbus"
    assert await redis.zcard("arq:queue") == 0


async def test_health_ready_ping_metrics(web_client: SignedClient, redis, redis_server) -> None:
    health = await web_client.get("/health")
    body = json.loads(await health.text())
    assert health.status == 200 and body["status"] == "degraded"  # no worker running
    assert body["components"]["redis"]["status"] == "ok" and "latency_ms" in body["components"]["redis"]
    await redis.zadd("oma:workers", {"gone-worker": time.time() - 60})  # its last beat is too old
    assert json.loads(await (await web_client.get("/health")).text())["status"] == "degraded"
    await redis.zadd("oma:workers", {"test-worker": time.time()})
    body = json.loads(await (await web_client.get("/health")).text())
    assert body["status"] == "ok" and body["components"]["workers"]["alive"] == 1
    assert (await web_client.get("/ready")).status == 200
    assert await (await web_client.get("/ping")).text() == "pong"
    assert "oma_queue_depth 0" in await (await web_client.get("/metrics")).text()
    assert "xoxb" not in await (await web_client.get("/health")).text()

    redis_server.stop()
    try:
        down = await web_client.get("/health")
        assert down.status == 503 and json.loads(await down.text())["status"] == "down"
        assert (await web_client.get("/ready")).status == 503
        reply = await (await web_client.command("list")).text()
        assert "can't reach its database" in reply
    finally:
        redis_server.start()
    await eventually(lambda: web_client.get("/ready"))
    assert (await web_client.get("/ready")).status == 200  # reconnected


async def test_worker_renders_and_uploads_into_the_thread(
    web_client: SignedClient, slack, redis, settings, tmp_path: Path
) -> None:
    await web_client.interactive(submission(view_id="VW1"))
    await eventually(lambda: redis.zrange("arq:queue", 0, -1))
    root = slack.called("chat.postMessage")[0]
    root_ts = (await TaskStore(redis).get("vw1")).root_ts
    worker = Worker(**{**worker_settings(settings), "burst": True, "poll_delay": 0.1})
    await worker.main()
    await worker.close()

    task = await TaskStore(redis).get("vw1")
    assert task is not None and task.status is Status.DELIVERED and task.file_id
    assert not (tmp_path / "work" / "vw1").exists()  # the working folder went with the delivery
    result = tmp_path / "out" / "vw1.mp4"
    assert result.exists()  # kept until OMA_RESULT_TTL_DAYS
    completes = slack.called("files.completeUploadExternal")
    assert len(completes) == 1 and completes[0]["thread_ts"] == root_ts and completes[0]["channel_id"] == "C1"
    video_file, caption_file = completes[0]["files"]  # one message: the video and its captions
    assert video_file["id"] == task.file_id
    vtt = slack.uploads[caption_file["id"]].decode()
    assert vtt.startswith("WEBVTT") and "-->" in vtt  # the captions travel with the video
    video = tmp_path / "uploaded.mp4"
    video.write_bytes(slack.uploads[task.file_id])
    info = probe(video)
    assert abs(info.duration - 15) <= 0.1 and (info.width, info.height) == (426, 240)
    # Progress: one message in the thread, updated in place with a bar, a few times, not every frame.
    progress = [p for p in slack.called("chat.update") if p["ts"] == task.progress_ts]
    assert 2 <= len(progress) <= 60 and "%" in progress[-1]["text"] and "█" in progress[-1]["text"]
    replies = [p for p in slack.called("chat.postMessage") if p.get("thread_ts") == root_ts]
    assert replies and len(replies) <= 4  # a few milestones, not a stream
    assert root["channel"] == "C1"


async def test_failure_says_why_and_retry_requeues_once(
    web_client: SignedClient, slack, redis, settings
) -> None:
    # OpenAI configured but unreachable: the scriptwriter fails with a retryable error.
    broken = settings.model_copy(
        update={"openai_api_key": "sk-test-" + "b" * 40, "openai_base_url": "http://127.0.0.1:9/v1"}
    )
    await web_client.interactive(submission(view_id="VFAIL"))
    await eventually(lambda: redis.zrange("arq:queue", 0, -1))
    worker = Worker(**{**worker_settings(broken), "burst": True, "poll_delay": 0.1})
    await worker.main()
    await worker.close()
    task = await TaskStore(redis).get("vfail")
    assert task is not None and task.status is Status.FAILED and "OpenAI could not be reached" in task.error
    failure = [p for p in slack.called("chat.postMessage") if "did not get finished" in p["text"]]
    assert failure and failure[0]["thread_ts"] == task.root_ts
    assert "sk-test" not in json.dumps(slack.calls)
    click = {
        "type": "block_actions",
        "user": {"id": "U1"},
        "team": {"id": "T1"},
        "api_app_id": "A1",
        "trigger_id": "t",
        "channel": {"id": "C1"},
        "container": {"type": "message"},
        "actions": [{"action_id": "retry_task", "block_id": "b", "value": "vfail", "type": "button"}],
    }
    for _ in range(3):  # a double (triple) click retries once
        assert (await web_client.interactive(click)).status == 200
    await eventually(lambda: redis.zrange("arq:queue", 0, -1))
    await listeners_settled()
    assert [j.decode() for j in await redis.zrange("arq:queue", 0, -1)] == ["vfail-retry1"]
    assert (await TaskStore(redis).get("vfail")).status is Status.QUEUED


async def test_a_job_past_its_time_fails_in_its_thread_with_retry(
    web_client: SignedClient, slack, redis, settings
) -> None:
    model = FakeOpenAI(stall=60)  # the model server hangs
    with ThreadedServer(model.app()) as server:
        hung = settings.model_copy(
            update={
                "openai_api_key": "sk-test-" + "h" * 40,
                "openai_base_url": server.url + "/v1",
                "job_timeout": 30,
                "upload_timeout": 10,
            }
        )
        await web_client.interactive(submission(view_id="VSLOW"))
        await eventually(lambda: redis.zrange("arq:queue", 0, -1))
        started = time.monotonic()
        worker = Worker(**{**worker_settings(hung), "burst": True, "poll_delay": 0.1})
        await worker.main()
        await worker.close()
        elapsed = time.monotonic() - started
    # The pipeline gets the job timeout less the time kept for the upload: 30 - 7.5 s.
    assert 22 <= elapsed < 30
    task = await TaskStore(redis).get("vslow")
    assert task is not None and task.status is Status.FAILED and task.retryable
    assert "longer than 22 seconds" in task.error
    note = [p for p in slack.called("chat.postMessage") if "longer than" in p["text"]]
    assert note and note[0]["thread_ts"] == task.root_ts and "retry_task" in json.dumps(note[0]["blocks"])
