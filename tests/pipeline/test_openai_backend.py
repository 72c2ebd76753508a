"""The OpenAI backend against a local OpenAI-compatible server on loopback."""

from pathlib import Path

import pytest
from pydantic import SecretStr

from pipeline import AgentError, Briefing, PipelineConfig, make_draft, render
from pipeline.agents.scriptwriter import scene_count
from pipeline.llm import ChatModel
from pipeline.models import Script
from tests.fakes.openai_server import FakeOpenAI, Fault, error_body
from tests.fakes.server import ThreadedServer
from tests.media import probe

BRIEFING = Briefing(title="Meet Nimbus", description="Nimbus keeps files in sync everywhere.", duration=15)
KEY = "sk-test-" + "a" * 40


def script_reply(n: int) -> dict:
    return {
        "scenes": [
            {
                "narration": f"Scene {i} says something useful about Nimbus and your files today.",
                "key_point": f"Point {i}",
            }
            for i in range(n)
        ]
    }


def board_reply(n: int) -> dict:
    return {
        "scenes": [
            {
                "headline": f"Headline number {i} that is far too long for the screen",
                "visual_prompt": f"a calm cloud over laptop {i}",
                "layout": "left",
                "palette": "violet",
                "transition": "fade",
            }
            for i in range(n)
        ]
    }


@pytest.fixture
def fake():
    fake = FakeOpenAI()
    with ThreadedServer(fake.app()) as server:
        fake.url = server.url  # type: ignore[attr-defined]
        yield fake


def cfg(fake: FakeOpenAI, tmp: Path, **kw: object) -> PipelineConfig:
    return PipelineConfig(
        work_dir=tmp / "w",
        height=240,
        openai_api_key=SecretStr(KEY),
        openai_base_url=fake.url + "/v1",
        openai_max_retries=2,
        **kw,
    )  # type: ignore[attr-defined]


def test_structured_output_tts_images_and_usage(fake: FakeOpenAI, tmp_path: Path) -> None:
    n = scene_count(BRIEFING.duration)
    fake.chat_replies.extend([script_reply(n), board_reply(n)])
    config = cfg(fake, tmp_path)
    draft = make_draft(BRIEFING, config)
    assert [s.key_point for s in draft.script.scenes] == [f"Point {i}" for i in range(n)]
    assert all(len(p.headline.split()) <= 8 for p in draft.storyboard.scenes)
    assert draft.usage[0].prompt_tokens == 1000 and draft.usage[0].completion_tokens == 200
    chat = [body for kind, body in fake.requests if kind == "chat"]
    assert chat[0]["response_format"]["type"] == "json_schema"
    assert chat[0]["model"] == "gpt-4o-mini"

    result = render(draft, config, out=tmp_path / "o.mp4")
    kinds = [k for k, _ in fake.requests]
    assert kinds.count("images") == n and kinds.count("speech") >= n
    assert abs(probe(result.path).duration - 15) <= 0.1
    by_agent = {u.agent: u for u in result.usage}
    assert by_agent["narrator"].characters > 0 and by_agent["art_director"].images == n
    expected = 2 * (1000 * 0.15 + 200 * 0.60) / 1e6 + by_agent["narrator"].characters * 15 / 1e6 + n * 0.04
    assert result.cost_usd == pytest.approx(expected, abs=1e-4)


def test_429_then_success_is_retried(fake: FakeOpenAI, tmp_path: Path) -> None:
    fake.faults.append(Fault(429, error_body("Rate limit reached", "requests"), {"retry-after": "0"}))
    fake.chat_replies.append(script_reply(2))
    script, _usage = ChatModel(cfg(fake, tmp_path)).structured("scriptwriter", "s", "u", Script)
    assert len(script.scenes) == 2
    assert [k for k, _ in fake.requests] == ["chat", "chat"]


def test_persistent_500_is_a_typed_error_naming_the_agent(fake: FakeOpenAI, tmp_path: Path) -> None:
    for _ in range(3):
        fake.faults.append(Fault(500, error_body("boom", "server_error"), {"retry-after": "0"}))
    with pytest.raises(AgentError) as info:
        make_draft(BRIEFING, cfg(fake, tmp_path))
    assert info.value.agent == "scriptwriter" and info.value.retryable
    assert "server error (500)" in info.value.user_message
    assert KEY not in str(info.value) and len(fake.requests) == 3  # one try + two retries


def test_rejected_key_is_not_retryable_and_not_leaked(fake: FakeOpenAI, tmp_path: Path) -> None:
    fake.faults.append(Fault(401, error_body(f"Incorrect API key provided: {KEY}", "invalid_request_error")))
    with pytest.raises(AgentError) as info:
        make_draft(BRIEFING, cfg(fake, tmp_path))
    assert not info.value.retryable and KEY not in info.value.user_message


def test_malformed_json_gets_one_repair(fake: FakeOpenAI, tmp_path: Path) -> None:
    fake.chat_replies.extend(["this is not json", script_reply(2)])
    script, _ = ChatModel(cfg(fake, tmp_path)).structured("scriptwriter", "s", "u", Script)
    assert len(script.scenes) == 2
    repair = fake.requests[1][1]["messages"]
    assert repair[-1]["role"] == "user" and "not valid" in repair[-1]["content"]


def test_malformed_twice_is_a_clear_error(fake: FakeOpenAI, tmp_path: Path) -> None:
    fake.chat_replies.extend(["nope", '{"scenes": "also wrong"}'])
    with pytest.raises(AgentError) as info:
        ChatModel(cfg(fake, tmp_path)).structured("scriptwriter", "s", "u", Script)
    assert "malformed twice" in info.value.user_message
    assert len(fake.requests) == 2
