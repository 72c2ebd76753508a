"""Text helpers shared by the writers, the narrator and the editor."""

from __future__ import annotations

import re
import unicodedata

_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+|\n+")
_BULLET = re.compile(r"^\s*(?:[-*•·]+|\d+[.)])\s*")
MAX_SENTENCE_WORDS = 24


def speakable(text: str) -> str:
    """Text a voice can say and a font can draw: no emoji, symbols or stray controls."""
    kept = []
    for ch in text:
        cat = unicodedata.category(ch)
        if cat in ("So", "Cs", "Co", "Cn") or ch in "\u200d\ufe0f":
            continue
        kept.append(" " if cat.startswith("C") or cat == "Zl" else ch)
    return re.sub(r"\s+", " ", "".join(kept)).strip()


def sentences(text: str) -> list[str]:
    """Split prose into sentences of at most MAX_SENTENCE_WORDS words, each ending in punctuation."""
    out: list[str] = []
    for raw in _SENTENCE_END.split(text):
        line = speakable(_BULLET.sub("", raw))
        if not re.search(r"\w", line):
            continue
        words = line.split()
        while words:
            chunk, words = words[:MAX_SENTENCE_WORDS], words[MAX_SENTENCE_WORDS:]
            sentence = " ".join(chunk).rstrip(",;:")
            if sentence[-1] not in ".!?…":
                sentence += "."
            out.append(sentence[0].upper() + sentence[1:])
    return out


def words_of(text: str) -> list[str]:
    return text.split()


def trim_words(text: str, limit: int) -> str:
    """At most `limit` words, ending with a full stop if cut."""
    words = text.split()
    if len(words) <= limit:
        return text
    return " ".join(words[:limit]).rstrip(",;:.") + "."


def headline_from(text: str, limit: int = 6) -> str:
    """A short on-screen headline from a sentence: the sentence itself or its first clause."""
    text = speakable(text)
    for candidate in (text, re.split(r"[,;:—–]", text)[0]):
        words = candidate.split()
        if 0 < len(words) <= limit:
            break
    else:
        words = text.split()[:limit]
    head = " ".join(words).strip(" ,;:.!?…-")
    return (head[:1].upper() + head[1:]) if head else "OMA"
