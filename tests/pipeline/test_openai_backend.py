"""The OpenAI backend against a local OpenAI-compatible server on loopback."""

import re
from pathlib import Path

import pytest
from pydantic import SecretStr

from pipeline import AgentError, Briefing, PipelineConfig, make_draft, render
from pipeline.agents.scriptwriter import scene_count, target_words
from pipeline.llm import ChatModel, UnusableAnswer
from pipeline.models import Script
from tests.fakes.openai_server import FakeOpenAI, Fault, error_body
from tests.fakes.server import ThreadedServer
from tests.media import probe

BRIEFING = Briefing(title="Meet Nimbus", description="Nimbus keeps files in sync everywhere.", duration=15)
KEY = "sk-test-" + "a" * 40


FILLER = "Nimbus keeps every file your team touches in sync across laptops, phones and servers"


def script_reply(n: int, words: int = target_words(15)) -> dict:
    """A usable script: n distinct scenes with `words` words of narration in all."""
    each = max(4, words // n)
    filler = FILLER.split()
    return {
        "scenes": [
            {
                "narration": f"Scene {i} says: " + " ".join((filler * 3)[i : i + each - 3]) + ".",
                "key_point": f"Point {i}",
            }
            for i in range(n)
        ]
    }


def board_reply(n: int, headline: str = "Headline number {i} for the screen") -> dict:
    return {
        "scenes": [
            {
                "headline": headline.format(i=i),
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
    # The fake stands in for OpenAI's own API, so all three agents use it (a custom base URL
    # alone would keep the voice and art offline).
    kw = {"voice_backend": "openai", "art_backend": "openai", **kw}
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


# Valid JSON (or nearly) that means nothing usable, as a confused or runaway model answers.
N = scene_count(BRIEFING.duration)
BAD_SCRIPTS = {
    "too few words": {"scenes": [{"narration": "Nimbus.", "key_point": "Nimbus"}] * 2},
    "empty scenes": {"scenes": [{"narration": "", "key_point": ""}, {"narration": " ", "key_point": "x"}]},
    "50 scenes": script_reply(50, 50 * 12),
    "numbers where text belongs": {"scenes": [{"narration": 12, "key_point": 3}] * 2},
    "truncated JSON": '{"scenes": [{"narration": "Nimbus keeps every',
    "duplicate scenes": {"scenes": [script_reply(1, target_words(15))["scenes"][0]] * 2},
}
BAD_BOARDS = {
    "a 5000-word headline": board_reply(N, "word " * 5000),
    "a 12-word headline": board_reply(N, "one two three four five six seven eight nine ten eleven {i}"),
    "50 scenes": board_reply(50),
    "empty headlines": board_reply(N, " "),
    "numbers where text belongs": {"scenes": [{"headline": 5, "visual_prompt": 7}] * N},
    "truncated JSON": '{"scenes": [{"headline": "Nimbus',
}
ONE_CALL = (1000 * 0.15 + 200 * 0.60) / 1e6


def chats(fake: FakeOpenAI) -> list[dict]:
    return [body for kind, body in fake.requests if kind == "chat"]


@pytest.mark.parametrize("reply", BAD_SCRIPTS.values(), ids=BAD_SCRIPTS.keys())
def test_an_unusable_script_is_repaired_once_then_written_by_the_built_in_writer(
    fake: FakeOpenAI, tmp_path: Path, reply: object
) -> None:
    fake.chat_replies.extend([reply, reply, board_reply(N)])
    draft = make_draft(BRIEFING, cfg(fake, tmp_path))
    assert draft.notes[0].startswith("The model's script was unusable (")
    assert draft.notes[0].endswith("the built-in writer made this one.")
    assert draft.script.scenes[0].narration.startswith("Meet Nimbus.")  # the built-in writer's
    sent = chats(fake)
    assert len(sent) == 3  # the answer, one repair, then the storyboard
    repair = sent[1]["messages"][-1]["content"]
    assert repair.startswith("That reply was") and re.search(r"\d", repair)
    assert all(0 < body["max_tokens"] <= 1000 for body in sent)
    # Both script calls are paid for and counted, the failed ones too.
    script_usage = draft.usage[0]
    assert script_usage.agent == "scriptwriter" and script_usage.prompt_tokens == 2000
    assert script_usage.cost_usd == pytest.approx(
        2 * 1000 * 0.15 / 1e6 + script_usage.completion_tokens * 0.60 / 1e6
    )


@pytest.mark.parametrize("reply", BAD_BOARDS.values(), ids=BAD_BOARDS.keys())
def test_an_unusable_storyboard_falls_back_to_the_built_in_planner(
    fake: FakeOpenAI, tmp_path: Path, reply: object
) -> None:
    fake.chat_replies.extend([script_reply(N), reply, reply])
    draft = make_draft(BRIEFING, cfg(fake, tmp_path))
    assert [s.key_point for s in draft.script.scenes] == [f"Point {i}" for i in range(N)]  # the model's
    assert draft.notes == [
        next(n for n in draft.notes if n.startswith("The model's storyboard was unusable ("))
    ]
    assert draft.notes[0].endswith("the built-in planner made this one.")
    assert all(0 < len(p.headline.split()) <= 10 for p in draft.storyboard.scenes)
    assert len(chats(fake)) == 3 and draft.usage[1].prompt_tokens == 2000
    assert round(sum(p.duration for p in draft.storyboard.scenes) * 30) == BRIEFING.duration * 30


def test_a_runaway_answer_is_cut_at_the_token_cap(fake: FakeOpenAI, tmp_path: Path) -> None:
    fake.chat_replies.extend([BAD_BOARDS["a 5000-word headline"]] * 2)
    with pytest.raises(UnusableAnswer) as info:
        ChatModel(cfg(fake, tmp_path)).structured("storyboarder", "s", "u", Script, max_tokens=300)
    assert "cut off at 300 tokens" in info.value.problem
    assert info.value.usage.completion_tokens == 600  # two answers, each stopped at the cap


def test_a_repaired_answer_is_used_and_both_calls_are_counted(fake: FakeOpenAI, tmp_path: Path) -> None:
    fake.chat_replies.extend([BAD_SCRIPTS["too few words"], script_reply(N), board_reply(N)])
    draft = make_draft(BRIEFING, cfg(fake, tmp_path))
    assert draft.notes == [] and draft.script.scenes[0].key_point == "Point 0"
    words = target_words(BRIEFING.duration)
    repair = chats(fake)[1]["messages"][-1]["content"]
    assert f"the narration has 2 words in all; write {round(words * 0.75)} to {round(words * 1.25)}" in repair
    assert draft.usage[0].prompt_tokens == 2000 and sum(u.cost_usd for u in draft.usage) == pytest.approx(
        3 * ONE_CALL
    )


@pytest.mark.slow
def test_with_both_answers_unusable_the_video_is_still_made(fake: FakeOpenAI, tmp_path: Path) -> None:
    fake.chat_replies.extend([BAD_SCRIPTS["50 scenes"]] * 2 + [BAD_BOARDS["truncated JSON"]] * 2)
    config = cfg(fake, tmp_path, voice_backend="piper", art_backend="procedural")
    draft = make_draft(BRIEFING, config)
    assert draft.notes[0].startswith("The model's script was unusable (it was cut off at ")
    assert draft.notes[-1].startswith("The model's storyboard was unusable (the reply: Invalid JSON")
    result = render(draft, config, out=tmp_path / "o.mp4")
    assert abs(probe(result.path).duration - BRIEFING.duration) <= 0.1
    assert result.cost_usd == pytest.approx(draft.cost_usd) and draft.cost_usd > 0
