"""WAV files and the final mix: narration placed on the timeline over a ducked music bed."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np


def write_wav(path: Path, samples: np.ndarray, rate: int) -> None:
    """Write mono or (n, 2) float samples in [-1, 1] as 16-bit PCM (a second at a time, so a
    long mix needs no full-size copies)."""
    channels = 1 if samples.ndim == 1 else samples.shape[1]
    with wave.open(str(path), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        for a in range(0, len(samples), rate):
            block = np.clip(samples[a : a + rate], -1.0, 1.0) * 32767
            w.writeframes(block.astype("<i2").tobytes())


def read_wav(path: Path) -> tuple[np.ndarray, int]:
    """Mono float32 samples and the rate of a 16-bit PCM WAV."""
    with wave.open(str(path), "rb") as w:
        rate, channels = w.getframerate(), w.getnchannels()
        raw = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float32) / 32767
    if channels > 1:
        raw = raw.reshape(-1, channels).mean(axis=1)
    return raw, rate


def _smooth(x: np.ndarray, width: int) -> np.ndarray:
    """Centred moving average in O(n), via a cumulative sum (one float64 buffer, reused)."""
    if width <= 1 or len(x) == 0:
        return x
    half = width // 2
    c = np.zeros(len(x) + width + 1, dtype=np.float64)
    c[1 + half : 1 + half + len(x)] = x
    np.cumsum(c, out=c)
    np.subtract(c[width : width + len(x)], c[: len(x)], out=c[: len(x)])
    out = c[: len(x)].astype(np.float32)
    out /= width
    return out


def mix(
    clips: list[tuple[float, np.ndarray]],
    music: np.ndarray | None,
    seconds: float,
    rate: int,
    *,
    music_level: float = 0.22,
    ducked_level: float = 0.07,
) -> np.ndarray:
    """Mono mix (the encoder makes it stereo): each (start, samples) narration clip, music
    ducked wherever voice plays. Worked in place, so a long video's mix stays small."""
    n = round(seconds * rate)
    out = np.zeros(n, dtype=np.float32)
    for start, samples in clips:
        a = round(start * rate)
        b = min(n, a + len(samples))
        if b > a:
            out[a:b] += samples[: b - a]
    if music is not None:
        # Voice activity, widened and smoothed so the music dips before words and
        # returns gently after them.
        gain = _smooth(np.abs(out), int(0.03 * rate)) > 0.02
        gain = _smooth(gain.astype(np.float32), int(0.5 * rate))
        gain *= 2.0
        np.minimum(gain, 1.0, out=gain)
        gain *= -(music_level - ducked_level)
        gain += music_level
        gain *= np.resize(music, n)
        out += gain
        del gain
    peak = float(np.max(np.abs(out))) if n else 0.0
    if peak > 0.95:
        out *= 0.95 / peak
    return out
