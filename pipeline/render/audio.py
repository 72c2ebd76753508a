"""WAV files and the final mix: narration placed on the timeline over a ducked music bed."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np


def write_wav(path: Path, samples: np.ndarray, rate: int) -> None:
    """Write mono or (n, 2) float samples in [-1, 1] as 16-bit PCM."""
    data = np.clip(samples, -1.0, 1.0)
    channels = 1 if data.ndim == 1 else data.shape[1]
    with wave.open(str(path), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes((data * 32767).astype("<i2").tobytes())


def read_wav(path: Path) -> tuple[np.ndarray, int]:
    """Mono float32 samples and the rate of a 16-bit PCM WAV."""
    with wave.open(str(path), "rb") as w:
        rate, channels = w.getframerate(), w.getnchannels()
        raw = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float32) / 32767
    if channels > 1:
        raw = raw.reshape(-1, channels).mean(axis=1)
    return raw, rate


def _smooth(x: np.ndarray, width: int) -> np.ndarray:
    """Centred moving average in O(n), via a cumulative sum."""
    if width <= 1 or len(x) == 0:
        return x
    half = width // 2
    c = np.zeros(len(x) + width + 1, dtype=np.float64)
    np.cumsum(np.pad(x, (half, width - half)), out=c[1:])
    return ((c[width : width + len(x)] - c[: len(x)]) / width).astype(np.float32)


def mix(
    clips: list[tuple[float, np.ndarray]],
    music: np.ndarray | None,
    seconds: float,
    rate: int,
    *,
    music_level: float = 0.22,
    ducked_level: float = 0.07,
) -> np.ndarray:
    """Stereo mix: each (start, samples) narration clip, music ducked wherever voice plays."""
    n = round(seconds * rate)
    voice = np.zeros(n, dtype=np.float32)
    for start, samples in clips:
        a = round(start * rate)
        b = min(n, a + len(samples))
        if b > a:
            voice[a:b] += samples[: b - a]
    out = voice.copy()
    if music is not None:
        bed = np.resize(music, n).astype(np.float32)
        # Voice activity, widened and smoothed so the music dips before words and
        # returns gently after them.
        active = (_smooth(np.abs(voice), int(0.03 * rate)) > 0.02).astype(np.float32)
        active = np.minimum(1.0, _smooth(active, int(0.5 * rate)) * 2.0)
        gain = music_level - (music_level - ducked_level) * active
        out += bed * gain
    peak = float(np.max(np.abs(out))) if n else 0.0
    if peak > 0.95:
        out *= 0.95 / peak
    return np.stack([out, out], axis=1)
