"""A Slack task against self-hosted model servers: chat only (as Ollama, vLLM, llama.cpp serve)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.tasks import Status, TaskStore
from pipeline.agents.scriptwriter import scene_count
from tests.bot.support import SignedClient, eventually, run_jobs, submission
from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.server import ThreadedServer
from tests.media import audio_rms, probe
from tests.pipeline.test_openai_backend import board_reply, script_reply

N = scene_count(15)


@pytest.mark.slow
async def test_with_only_a_chat_server_a_slack_task_delivers_a_narrated_video(
    web_client: SignedClient, slack, redis, settings, tmp_path: Path
) -> None:
    model = FakeOpenAI(serves=frozenset({"chat"}))
    model.chat_replies.extend([script_reply(N), board_reply(N)])
    with ThreadedServer(model.app()) as server:
        local = settings.model_copy(update={"openai_base_url": server.url + "/v1"})  # and no key
        await web_client.interactive(submission(view_id="VOLL"))
        await eventually(lambda: redis.zrange("arq:queue", 0, -1))
        await run_jobs(local)
    task = await TaskStore(redis).get("voll")
    assert task is not None and task.status is Status.DELIVERED, task and task.error
    assert model.hits == ["/v1/chat/completions"] * 2  # the model's script and storyboard, nothing else
    video = tmp_path / "uploaded.mp4"
    video.write_bytes(slack.uploads[task.file_id])
    assert abs(probe(video).duration - 15) <= 0.1 and audio_rms(video, 1, 4) > 0.01  # Piper reads it


async def test_a_voice_forced_onto_a_chat_only_server_fails_the_task_with_the_setting_to_change(
    web_client: SignedClient, slack, redis, settings
) -> None:
    model = FakeOpenAI(serves=frozenset({"chat"}))
    model.chat_replies.extend([script_reply(N), board_reply(N)])
    with ThreadedServer(model.app()) as server:
        url = server.url + "/v1"
        forced = settings.model_copy(update={"openai_base_url": url, "voice_backend": "openai"})
        await web_client.interactive(submission(view_id="VFORCE"))
        await eventually(lambda: redis.zrange("arq:queue", 0, -1))
        await run_jobs(forced)
    task = await TaskStore(redis).get("vforce")
    assert task is not None and task.status is Status.FAILED and not task.retryable
    assert model.hits.count("/v1/audio/speech") == 1  # failed on first use: no retry loop
    assert "set OMA_VOICE_BACKEND=piper" in task.error
    said = [p for p in slack.called("chat.postMessage") if "did not get finished" in p["text"]]
    assert len(said) == 1 and "OMA_VOICE_BACKEND=piper" in said[0]["text"]
    assert said[0]["thread_ts"] == task.root_ts


@pytest.mark.slow
async def test_a_speech_server_failing_mid_task_still_delivers_and_the_delivery_says_so(
    web_client: SignedClient, slack, redis, settings
) -> None:
    model = FakeOpenAI(down={"speech"})
    model.chat_replies.extend([script_reply(N), board_reply(N)])
    with ThreadedServer(model.app()) as server:
        url = server.url + "/v1"
        spoken = settings.model_copy(update={"openai_base_url": url, "tts_base_url": url})
        await web_client.interactive(submission(view_id="VFALL"))
        await eventually(lambda: redis.zrange("arq:queue", 0, -1))
        await run_jobs(spoken)
    task = await TaskStore(redis).get("vfall")
    assert task is not None and task.status is Status.DELIVERED, task and task.error
    assert model.count("speech") >= 1 and len(task.render_notes) == 1
    upload = slack.called("files.completeUploadExternal")[-1]
    assert "so the offline voice (Piper) read this video" in str(upload)
