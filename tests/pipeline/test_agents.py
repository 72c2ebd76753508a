import pytest

from pipeline.agents.fixed_lines import FIXED_LINES
from pipeline.agents.narrator import LEAD_IN, TAIL
from pipeline.agents.scriptwriter import MIN_PACE, target_words, write_offline
from pipeline.agents.storyboarder import HEADLINE_MAX_WORDS, allocate, plan_offline
from pipeline.briefing import Briefing, Tone
from pipeline.render import captions as cap
from pipeline.render.stills import Geometry, fit_text, font
from pipeline.text import spoken_seconds

DESCRIPTIONS = [
    "Nimbus keeps your team's files in sync. It works offline. Setup takes two minutes.",
    "Short one.",
    "x" * 200 + " is a very long word indeed.",
    "word " * 1000,
    "Launch day 🚀 is here! Tell everyone 🎉.",
    "مرحبا بكم في الإطلاق الجديد. نحن سعداء جدا.",
]


@pytest.mark.parametrize("duration", [15, 30, 45, 60, 120, 180])
@pytest.mark.parametrize("description", DESCRIPTIONS)
def test_script_fits_the_duration_without_padding(duration: int, description: str) -> None:
    b = Briefing(title="Meet Nimbus", description=description, duration=duration)
    script = write_offline(b)
    voiced = sum(spoken_seconds(s.narration) for s in script.scenes) / script.pace
    assert voiced + len(script.scenes) * (LEAD_IN + TAIL) <= duration
    assert MIN_PACE <= script.pace <= 1.0
    assert all(s.narration.strip() for s in script.scenes)
    # Nothing but the briefing's words, the title and at most one opener and one closer.
    allowed = _words(b.description + " " + b.title + " " + " ".join(FIXED_LINES))
    assert _words(" ".join(s.narration for s in script.scenes)) <= allowed
    assert target_words(duration) > 0


def _words(text: str) -> set[str]:
    return {w.strip(".,!?;:").lower() for w in text.split()} - {""}


def test_script_is_deterministic_and_tone_specific() -> None:
    b = Briefing(title="Meet Nimbus", description=DESCRIPTIONS[0], duration=30, tone="friendly")
    assert write_offline(b) == write_offline(b)
    urgent = write_offline(b.model_copy(update={"tone": Tone.URGENT}))
    assert urgent != write_offline(b)
    assert "Nimbus keeps your team's files in sync." in " ".join(s.narration for s in write_offline(b).scenes)


def test_no_emoji_reaches_the_narration() -> None:
    script = write_offline(Briefing(title="Launch 🚀 day", description=DESCRIPTIONS[4], duration=20))
    assert not any(ch in s.narration for s in script.scenes for ch in "🚀🎉")


@pytest.mark.parametrize("duration", [15, 37, 60, 180])
def test_storyboard_durations_sum_exactly(duration: int) -> None:
    b = Briefing(title="Meet Nimbus", description=DESCRIPTIONS[0], duration=duration)
    board = plan_offline(b, write_offline(b), fps=30)
    frames = [round(s.duration * 30) for s in board.scenes]
    assert sum(frames) == duration * 30
    assert all(abs(s.duration * 30 - f) < 1e-6 for s, f in zip(board.scenes, frames, strict=True))
    assert all(len(s.headline.split()) <= HEADLINE_MAX_WORDS for s in board.scenes)
    assert all(s.duration >= 2.5 for s in board.scenes)


def test_allocate_respects_minimums_and_weights() -> None:
    out = allocate(30, [1, 1, 8], [5, 5, 5], fps=30)
    assert round(sum(out) * 30) == 900
    assert min(out) >= 5
    assert out[2] > out[0]


def test_headline_fits_every_aspect_even_a_200_letter_word() -> None:
    for w, h in [(1280, 720), (720, 1280), (720, 720)]:
        left, top, right, bottom = Geometry(w, h).headline_box()
        fnt, lines = fit_text("x" * 200, right - left, bottom - top, 80)
        assert all(fnt.getlength(line) <= right - left for line in lines)
        assert len(lines) * fnt.size * 1.2 <= bottom - top or fnt.size == 12


def test_caption_pages_highlight_each_word_once() -> None:
    from pipeline.models import WordTiming

    words = [
        WordTiming(word=w, start=i * 0.4, end=i * 0.4 + 0.35)
        for i, w in enumerate(["one", "two", "{three}", "four"])
    ]
    states = cap.captions(words, max_chars=40)
    assert [s.current for s in states] == [0, 1, 2, 3]
    ass = cap.to_ass(states, 1280, 720)
    assert ass.count("Dialogue:") == 4
    assert "{three}" not in ass and "(three)" in ass  # braces would open ASS override blocks
    assert font(20).size == 20


def _timed(text: str, pause_after: str = "") -> list:
    from pipeline.models import WordTiming

    out, t = [], 0.0
    for w in text.split():
        out.append(WordTiming(word=w, start=t, end=t + 0.3))
        t += 0.32 + (0.5 if w == pause_after else 0.0)
    return out


@pytest.mark.parametrize("max_chars", [30, 40, 47])
def test_a_long_sentence_splits_into_even_pages_where_a_clause_ends(max_chars: int) -> None:
    words = _timed(
        "Nimbus keeps every file your team touches in sync, across laptops, phones and the office server."
    )
    pages = [" ".join(w.word for w in page) for page in cap.pages(words, max_chars)]
    # Greedy filling stranded "office server." on its own page after "...phones and the".
    assert pages == [
        "Nimbus keeps every file your team touches in sync,",
        "across laptops, phones and the office server.",
    ]


def test_caption_pages_never_end_on_a_word_that_leans_on_the_next() -> None:
    text = (
        "Setup takes two minutes and needs no ticket from the IT team for any of the laptops we ship today."
    )
    for page in cap.pages(_timed(text), 20)[:-1]:
        assert page[-1].word.lower() not in {"the", "of", "for", "from", "any", "and", "no"}, page[-1].word
    # A pause always starts a page, and every word is on exactly one page.
    paused = cap.pages(_timed("One two three four five six", pause_after="three"), 40)
    assert [[w.word for w in p] for p in paused] == [["One", "two", "three"], ["four", "five", "six"]]


def test_caption_pages_do_not_break_after_an_abbreviation_or_before_a_percent_sign() -> None:
    said = "Fragen gerne per Telefon, z. B. per E-Mail an die Personalabteilung im Haus."
    for pause_after in ("z.", "B."):  # the voice pauses at an abbreviation's full stop
        pages = [[w.word for w in p] for p in cap.pages(_timed(said, pause_after=pause_after), 20)]
        assert all(p[-1] not in ("z.", "B.") for p in pages[:-1]), pages
    french = [
        [w.word for w in p] for p in cap.pages(_timed("Les cotisations baissent de 10 à 15 % selon"), 12)
    ]
    assert all(p[0] != "%" for p in french), french
    counted = [
        [w.word for w in p] for p in cap.pages(_timed("Support replies in 15 minutes on weekdays."), 14)
    ]
    assert all(p[-1] != "15" for p in counted), counted  # a number stays with what it counts


def test_warm_up_loads_the_offline_voice_and_names_a_missing_model(tmp_path) -> None:
    from pipeline import AgentError, PipelineConfig, warm_up
    from pipeline.agents.narrator import PiperVoiceEngine

    warm_up(PipelineConfig(work_dir=tmp_path))
    assert str(PiperVoiceEngine().model_path) in PiperVoiceEngine._loaded
    with pytest.raises(AgentError, match=r"missing\.onnx"):
        warm_up(PipelineConfig(work_dir=tmp_path, piper_model=tmp_path / "missing.onnx"))
