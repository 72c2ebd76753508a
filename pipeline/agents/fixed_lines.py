"""The offline writer's only words of its own: one opening and one closing line per tone."""

from __future__ import annotations

from pipeline.briefing import Tone

# One opening and one closing line per tone, each true of any video and any title.
OPENERS: dict[Tone, str] = {
    Tone.PROFESSIONAL: "Here's a quick update.",
    Tone.FRIENDLY: "Here's a quick look.",
    Tone.INSPIRING: "Let's take a look.",
    Tone.HUMOROUS: "Here's the short version.",
    Tone.URGENT: "Please listen carefully.",
}
CLOSERS: dict[Tone, str] = {
    Tone.PROFESSIONAL: "Thank you for watching.",
    Tone.FRIENDLY: "Thanks for watching!",
    Tone.INSPIRING: "Thanks for watching.",
    Tone.HUMOROUS: "That's it, thanks for watching!",
    Tone.URGENT: "Thank you for your attention.",
}
FIXED_LINES = frozenset(OPENERS.values()) | frozenset(CLOSERS.values())
