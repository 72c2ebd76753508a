"""A brand's pronunciations: the voice reads "sequel" where the script says "SQL".

`Pronounced` wraps any voice engine at the one place narration text reaches it (`say`, called
by narrator.voice_scene per sentence). Word timings, and so the captions, are made from the
written sentence, so captions keep the brand's own spelling.
"""

from __future__ import annotations

import hashlib
import json

import numpy as np

from pipeline.agents.narrator import VoiceEngine
from pipeline.brand import spoken


class Pronounced:
    """`engine`, reading each listed word as the list says (whole words, any case)."""

    def __init__(self, engine: VoiceEngine, pronounce: dict[str, str]) -> None:
        self.engine = engine
        self.pronounce = dict(pronounce)
        digest = json.dumps(self.pronounce, sort_keys=True).encode()
        self._tag = hashlib.sha256(digest).hexdigest()[:10]

    @property
    def id(self) -> str:
        # The inner id may change (a voice service falling back); the cache key follows it.
        return f"{self.engine.id}+say:{self._tag}"

    def say(self, sentence: str, speed: float) -> tuple[np.ndarray, int]:
        return self.engine.say(spoken(sentence, self.pronounce), speed)


def pronounced(engine: VoiceEngine, pronounce: dict[str, str] | None) -> VoiceEngine:
    """The engine itself when there is nothing to pronounce (so its voice cache is unchanged)."""
    return Pronounced(engine, pronounce) if pronounce else engine
