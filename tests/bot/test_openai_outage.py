"""OpenAI failing mid-job: a plain failure with Retry, and the retry resumes after the draft."""

from __future__ import annotations

import json

from bot.tasks import Status, TaskStore
from pipeline.agents.scriptwriter import scene_count
from tests.bot.support import SignedClient, eventually, retry, run_jobs, submission
from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.server import ThreadedServer
from tests.pipeline.test_openai_backend import KEY, board_reply, script_reply


async def test_tts_down_fails_with_retry_and_the_retry_reuses_the_paid_for_draft(
    web_client: SignedClient, slack, redis, settings
) -> None:
    model = FakeOpenAI(down={"speech"})
    n = scene_count(15)
    model.chat_replies.extend([script_reply(n), board_reply(n)])
    with ThreadedServer(model.app()) as server:
        # Strict: the speech service failing fails the task, instead of falling back to Piper.
        online = settings.model_copy(
            update={
                "openai_api_key": KEY,
                "openai_base_url": server.url + "/v1",
                "voice_backend": "openai",
                "strict_backends": True,
            }
        )
        await web_client.interactive(submission(view_id="VTTS"))
        await eventually(lambda: redis.zrange("arq:queue", 0, -1))
        await run_jobs(online)

        store = TaskStore(redis)
        task = await store.get("vtts")
        assert task is not None and task.status is Status.FAILED and task.retryable
        note = [p for p in slack.called("chat.postMessage") if "did not get finished" in p["text"]]
        assert note and "OpenAI" in note[0]["text"] and "retry_task" in json.dumps(note[0]["blocks"])
        assert KEY not in json.dumps(slack.calls)
        chats = sum(kind == "chat" for kind, _ in model.requests)
        assert chats == 2  # script and storyboard

        model.down.clear()
        await retry(web_client, redis, online, "vtts")

    task = await store.get("vtts")
    assert task is not None and task.status is Status.DELIVERED and task.attempts == 2
    assert len(slack.answered("files.completeUploadExternal")) == 1
    # The retry rendered the draft made (and billed) before; the model was not asked again.

    assert sum(kind == "chat" for kind, _ in model.requests) == chats
    assert any(kind == "speech" for kind, _ in model.requests[chats:])


async def test_slack_refusing_the_draft_fails_with_retry_and_the_retry_posts_that_draft(
    web_client: SignedClient, slack, redis, settings
) -> None:
    model = FakeOpenAI()
    n = scene_count(15)
    model.chat_replies.extend([script_reply(n), board_reply(n)])
    with ThreadedServer(model.app()) as server:
        online = settings.model_copy(update={"openai_api_key": KEY, "openai_base_url": server.url + "/v1"})
        await web_client.interactive(submission(view_id="VSHEET", skip=False))
        await eventually(lambda: redis.zrange("arq:queue", 0, -1))
        for _ in range(10):  # the contact sheet's upload
            slack.fail("files.completeUploadExternal", status=500)
        await run_jobs(online)
        store = TaskStore(redis)
        task = await store.get("vsheet")
        assert task is not None and task.status is Status.FAILED and "did not take the draft" in task.error

        slack.faults.clear()
        await retry(web_client, redis, online, "vsheet")

    task = await store.get("vsheet")
    assert task is not None and task.status is Status.AWAITING_REVIEW and task.revision == 1
    assert [kind for kind, _ in model.requests] == ["chat", "chat"]  # drafted once, posted on Retry
    review = [p for p in slack.called("chat.postMessage") if "approve_draft" in json.dumps(p.get("blocks"))]
    assert len(review) == 1 and review[0]["thread_ts"] == task.root_ts
