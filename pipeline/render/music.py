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


def music_bed(tone: Tone, seconds: float, rate: int) -> np.ndarray:
    """Mono samples in [-1, 1]: a looping progression with fades at both ends."""
    g = GROOVES[tone]
    beat = 60 / g.bpm
    chord_len = beat * 4
    n = round(seconds * rate)
    t = np.arange(n, dtype=np.float32) / rate
    out = np.zeros(n, dtype=np.float32)
    chord_idx = (t // chord_len).astype(int) % len(g.progression)
    in_chord = t % chord_len
    # Soft attack and release on every chord so changes never click.
    env = np.minimum(1.0, in_chord / 0.4) * np.minimum(1.0, (chord_len - in_chord) / 0.3)
    for k, chord in enumerate(g.progression):
        mask = chord_idx == k
        tk = t[mask]
        for semi in chord:
            f = _hz(g.root_hz, semi)
            out[mask] += 0.30 * np.sin(2 * np.pi * f * tk) + 0.08 * np.sin(4 * np.pi * f * tk)
        out[mask] += 0.25 * np.sin(np.pi * _hz(g.root_hz, chord[0]) * tk)  # bass an octave down
    out *= env
    step = beat / 2
    step_idx = (t // step).astype(int)
    in_step = t - step_idx * step
    if g.pluck:
        # Arpeggio of the current chord, an octave up, decaying each half beat.
        notes = np.array([_hz(g.root_hz * 2, c[i % 3]) for c in g.progression for i in range(8)])
        which = (chord_idx * 8 + step_idx % 8) % len(notes)
        out += 0.22 * np.sin(2 * np.pi * notes[which] * in_step) * np.exp(-in_step * 9)
    if g.pulse:
        kick_t = t % beat
        out += 0.35 * np.sin(2 * np.pi * (55 + 60 * np.exp(-kick_t * 30)) * kick_t) * np.exp(-kick_t * 14)
    fade = np.minimum(1.0, np.minimum(t / 1.0, (seconds - t) / 2.0)).clip(0, 1)
    out *= fade
    peak = float(np.max(np.abs(out))) or 1.0
    return (out / peak).astype(np.float32)
