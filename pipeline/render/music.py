"""A procedural music bed, chosen by tone: chord pads, plucks and pulses synthesised in numpy."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pipeline.briefing import Tone


@dataclass(frozen=True)
class Groove:
    bpm: int
    root_hz: float
    progression: tuple[tuple[int, ...], ...]  # chords as semitones above the root
    pluck: bool
    pulse: bool


MAJOR = ((0, 4, 7), (7, 11, 14), (9, 12, 16), (5, 9, 12))  # I V vi IV
MINOR = ((0, 3, 7), (8, 12, 15), (3, 7, 10), (10, 14, 17))  # i VI III VII
GROOVES: dict[Tone, Groove] = {
    Tone.PROFESSIONAL: Groove(92, 196.0, MAJOR, pluck=False, pulse=False),
    Tone.FRIENDLY: Groove(108, 220.0, MAJOR, pluck=True, pulse=False),
    Tone.INSPIRING: Groove(100, 174.6, (MAJOR[2], MAJOR[3], MAJOR[0], MAJOR[1]), False, True),
    Tone.HUMOROUS: Groove(124, 261.6, MAJOR, pluck=True, pulse=True),
    Tone.URGENT: Groove(132, 164.8, MINOR, pluck=False, pulse=True),
}


def _hz(root: float, semitones: int) -> float:
    return root * 2 ** (semitones / 12)


def _segment(g: Groove, k: int, t: np.ndarray, chord_len: float, beat: float) -> np.ndarray:
    """Chord k of the progression over local times t (seconds since the chord began)."""
    chord = g.progression[k % len(g.progression)]
    out = np.zeros_like(t)
    for semi in chord:
        f = _hz(g.root_hz, semi)
        out += 0.30 * np.sin(2 * np.pi * f * t) + 0.08 * np.sin(4 * np.pi * f * t)
    out += 0.25 * np.sin(np.pi * _hz(g.root_hz, chord[0]) * t)  # bass an octave down
    # Soft attack and release on every chord so changes never click.
    out *= np.minimum(1.0, t / 0.4) * np.minimum(1.0, (chord_len - t) / 0.3)
    step = beat / 2
    in_step = t % step
    if g.pluck:
        # Arpeggio of the chord, an octave up, decaying each half beat.
        notes = np.array([_hz(g.root_hz * 2, chord[i % 3]) for i in range(8)], dtype=np.float32)
        which = (t // step).astype(np.int32) % 8
        out += 0.22 * np.sin(2 * np.pi * notes[which] * in_step) * np.exp(-in_step * 9)
    if g.pulse:
        kick_t = t % beat
        out += 0.35 * np.sin(2 * np.pi * (55 + 60 * np.exp(-kick_t * 30)) * kick_t) * np.exp(-kick_t * 14)
    return out


def music_bed(tone: Tone, seconds: float, rate: int) -> np.ndarray:
    """Mono samples in [-1, 1]: a looping progression with fades at both ends.

    Synthesised one chord at a time, so memory stays small for long videos.
    """
    g = GROOVES[tone]
    beat = 60 / g.bpm
    chord_len = beat * 4
    n = round(seconds * rate)
    out = np.zeros(n, dtype=np.float32)
    per_chord = chord_len * rate
    k = 0
    while round(k * per_chord) < n:
        a, b = round(k * per_chord), min(n, round((k + 1) * per_chord))
        t = (np.arange(b - a, dtype=np.float32) + (k * per_chord - a)) / rate
        out[a:b] = _segment(g, k, t, chord_len, beat)
        k += 1
    fade_in = min(n, rate)
    fade_out = min(n, 2 * rate)
    out[:fade_in] *= np.linspace(0, 1, fade_in, dtype=np.float32)
    out[n - fade_out :] *= np.linspace(1, 0, fade_out, dtype=np.float32)
    peak = float(np.max(np.abs(out))) or 1.0
    out /= peak
    return out
