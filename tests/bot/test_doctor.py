"""`oma doctor` against real loopback servers, the start-up lines, and /health's backends."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from bot.cli import main as oma
from tests.bot.support import BOT_TOKEN, SECRET, SignedClient, start_bot, stop
from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.server import ThreadedServer

KEY = "sk-test-" + "d" * 40


@pytest.fixture
def servers():
    """A chat-only server (as Ollama serves) and a speech-only one (as Kokoro serves)."""
    chat, speech = FakeOpenAI(serves=frozenset({"chat"})), FakeOpenAI(serves=frozenset({"speech"}))
    with ThreadedServer(chat.app()) as a, ThreadedServer(speech.app()) as b:
        chat.url, speech.url = a.url + "/v1", b.url + "/v1"  # type: ignore[attr-defined]
        yield chat, speech


def doctor(monkeypatch: pytest.MonkeyPatch, tmp: Path, env: dict[str, str]) -> int:
    import os

    for name in list(os.environ):
        if name.startswith(("OPENAI_", "OMA_", "SLACK_", "REDIS_", "PEXELS_")):
            monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp)  # no .env
    return oma(["doctor"])


def rows(out: str) -> dict[str, str]:
    return {line.split()[0]: line for line in out.splitlines()[1:] if line.strip()}


def test_doctor_checks_both_servers_redis_slack_and_ffmpeg(
    servers, slack, redis_server, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys
) -> None:
    chat, speech = servers
    env = {
        "OPENAI_BASE_URL": chat.url,
        "OMA_TEXT_MODEL": "llama3.2",
        "OMA_TTS_BASE_URL": speech.url,
        "OMA_TTS_API_KEY": KEY,
        "REDIS_URL": redis_server.url,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": slack.url + "/api/",
    }
    code = doctor(monkeypatch, tmp_path, env)
    out = capsys.readouterr().out
    table = rows(out)
    assert code == 0, out
    assert list(table) == ["text", "voice", "art", "redis", "slack", "storage", "ffmpeg"]
    assert "skipped: local, not checked" in table["storage"]
    assert f"llama3.2 at {chat.url}" in table["text"] and "ok: answered" in table["text"]
    assert f"at {speech.url}" in table["voice"] and "ok: spoke" in table["voice"]
    assert "procedural art (offline)" in table["art"] and "ok: drew" in table["art"]
    assert "ok: answered PING" in table["redis"] and "ok: auth.test" in table["slack"]
    assert "ok: runs, with libass" in table["ffmpeg"]
    # One tiny real call each, on the server that has it.
    assert [k for k, _ in chat.requests] == ["chat"] and chat.requests[0][1]["max_tokens"] == 5
    assert [k for k, _ in speech.requests] == ["speech"]
    assert KEY not in out


def test_doctor_fails_naming_the_setting_when_a_server_lacks_what_is_configured(
    servers, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys
) -> None:
    chat, _speech = servers
    env = {"OPENAI_BASE_URL": chat.url, "OMA_VOICE_BACKEND": "openai", "REDIS_URL": "redis://127.0.0.1:9/0"}
    code = doctor(monkeypatch, tmp_path, env)
    captured = capsys.readouterr()
    table = rows(captured.out)
    assert code == 1
    assert "FAILED: The speech server at" in table["voice"]
    assert "set OMA_VOICE_BACKEND=piper" in table["voice"]
    assert chat.hits.count("/v1/audio/speech") == 1
    assert "FAILED: Redis at redis://127.0.0.1:9/0 could not be reached" in table["redis"]
    assert "skipped" in table["slack"]  # not configured: not a failure
    assert "2 check(s) failed: voice, redis." in captured.err


async def test_health_names_each_backend_without_keys(web_client: SignedClient, settings) -> None:
    body = json.loads(await (await web_client.get("/health")).text())
    assert body["backends"] == {
        "text": {"backend": "offline", "model": "built-in writer and planner", "url": None},
        "voice": {"backend": "piper", "model": "Piper en_US-joe-medium.onnx", "url": None},
        "art": {"backend": "procedural", "model": "procedural art", "url": None},
    }


def test_a_worker_logs_which_backend_and_model_each_agent_uses(slack, redis_server, tmp_path: Path) -> None:
    log = tmp_path / "worker.log"
    proc = start_bot(
        slack.url,
        redis_server.url,
        tmp_path,
        log,
        OPENAI_BASE_URL="http://user:sk-secret-in-url@127.0.0.1:9/v1",
        OMA_TEXT_MODEL="qwen2.5",
        OMA_LOG_LEVEL="INFO",
    )
    try:
        deadline = time.monotonic() + 30
        while "art (art director)" not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        stop(proc)
    text = log.read_text()
    assert "text (scriptwriter, storyboarder): model qwen2.5 at http://127.0.0.1:9/v1" in text
    assert "voice (narrator): Piper en_US-joe-medium.onnx (offline)" in text
    assert "art (art director): procedural art (offline)" in text
    assert "sk-secret-in-url" not in text


def test_doctor_searches_pexels_for_stock_footage_and_names_a_refused_key(
    pexels, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys
) -> None:
    from tests.fakes.pexels import KEY as PEXELS_KEY

    fake, url = pexels
    env = {"OMA_ART_BACKEND": "stock", "PEXELS_API_KEY": PEXELS_KEY, "OMA_PEXELS_URL": url}
    doctor(monkeypatch, tmp_path, env)
    art = rows(capsys.readouterr().out)["art"]
    assert f"Pexels stock footage at {url}" in art and "ok: searched Pexels: 3 videos" in art
    assert fake.queries[-1] == ("/videos/search", {"query": "nature", "per_page": "1"})
    assert doctor(monkeypatch, tmp_path, {**env, "PEXELS_API_KEY": "wrong-key"}) == 1
    art = rows(capsys.readouterr().out)["art"]
    assert "FAILED: Pexels refused the key (HTTP 401): check PEXELS_API_KEY" in art


def test_doctor_writes_to_the_bucket_and_names_a_missing_one(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys
) -> None:
    from tests.api.support import S3Server

    s3 = S3Server()
    s3.start()
    try:
        s3.client().create_bucket(Bucket="videos")
        env = {
            "OMA_S3_ENDPOINT": s3.url,
            "OMA_S3_BUCKET": "videos",
            "OMA_S3_ACCESS_KEY_ID": "test-key",
            "OMA_S3_SECRET_ACCESS_KEY": "test-secret",
        }
        assert doctor(monkeypatch, tmp_path, env) == 0
        storage = rows(capsys.readouterr().out)["storage"]
        assert f"bucket videos at {s3.url}" in storage and "ok: wrote, read and deleted" in storage
        assert s3.client().list_objects_v2(Bucket="videos").get("KeyCount", 0) == 0  # nothing left behind
        assert doctor(monkeypatch, tmp_path, {**env, "OMA_S3_BUCKET": "nope"}) == 1
        storage = rows(capsys.readouterr().out)["storage"]
        assert "FAILED: the video could not be checked in storage: bucket nope does not exist" in storage
    finally:
        s3.stop()
