import pytest

from pipeline.briefing import Aspect, Briefing, BriefingError, Style, Tone, parse_briefing

VALID = {"title": "Quarterly update", "description": "Revenue grew and churn fell this quarter."}


def errors_for(**changes: object) -> dict[str, str]:
    with pytest.raises(BriefingError) as info:
        parse_briefing({**VALID, **changes})
    return info.value.errors


def test_defaults() -> None:
    b = parse_briefing(VALID)
    assert (b.duration, b.style, b.tone, b.aspect) == (30, Style.MODERN, Tone.PROFESSIONAL, Aspect.LANDSCAPE)


@pytest.mark.parametrize(
    ("title", "ok"), [("abc", True), ("ab", False), ("a" * 200, True), ("a" * 201, False)]
)
def test_title_bounds(title: str, ok: bool) -> None:
    if ok:
        assert parse_briefing({**VALID, "title": title}).title == title
    else:
        assert "Title must be" in errors_for(title=title)["title"]


@pytest.mark.parametrize(("n", "ok"), [(10, True), (9, False), (5000, True), (5001, False)])
def test_description_bounds(n: int, ok: bool) -> None:
    text = "d" * n
    if ok:
        assert len(parse_briefing({**VALID, "description": text}).description) == n
    else:
        assert "Description must be" in errors_for(description=text)["description"]


def test_lengths_count_after_trimming() -> None:
    assert parse_briefing({**VALID, "title": "   abc   "}).title == "abc"
    assert "at least 3" in errors_for(title="  ab  ")["title"]


@pytest.mark.parametrize("field", ["title", "description"])
@pytest.mark.parametrize("blank", ["", "   ", "\n\t  \n"])
def test_whitespace_only_is_rejected(field: str, blank: str) -> None:
    assert "cannot be empty" in errors_for(**{field: blank})[field]


@pytest.mark.parametrize("bad", ["Hello\x00world", "Bell\x07 ringing here", "esc \x1b[31m red"])
def test_control_characters_are_rejected(bad: str) -> None:
    assert "control characters" in errors_for(description=bad)["description"]
    assert "control characters" in errors_for(title=bad[:20])["title"]


def test_newlines_allowed_in_description_not_title() -> None:
    assert parse_briefing({**VALID, "description": "Line one here.\nLine two here."})
    assert "control characters" in errors_for(title="Two\nlines")["title"]


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        (15, True),
        (14, False),
        (180, True),
        (181, False),
        ("60", True),
        ("60s", True),
        (30.0, True),
        (30.5, False),
        ("abc", False),
        (True, False),
        (None, False),
    ],
)
def test_duration(value: object, ok: bool) -> None:
    if ok:
        assert isinstance(parse_briefing({**VALID, "duration": value}).duration, int)
    else:
        assert "Duration must be" in errors_for(duration=value)["duration"]


def test_duration_message_is_plain() -> None:
    assert errors_for(duration=500)["duration"] == "Duration must be between 15 and 180 seconds"


@pytest.mark.parametrize("style", [s.value for s in Style])
@pytest.mark.parametrize("tone", [t.value for t in Tone])
def test_every_style_and_tone(style: str, tone: str) -> None:
    b = parse_briefing({**VALID, "style": style.upper(), "tone": f" {tone} "})
    assert (b.style.value, b.tone.value) == (style, tone)


@pytest.mark.parametrize(("field", "value"), [("style", "baroque"), ("tone", "sarcastic"), ("aspect", "4:3")])
def test_unknown_choice_lists_the_options(field: str, value: str) -> None:
    assert "must be one of" in errors_for(**{field: value})[field]


@pytest.mark.parametrize("aspect", ["16:9", "9:16", "1:1"])
def test_aspects_and_sizes(aspect: str) -> None:
    b = parse_briefing({**VALID, "aspect": aspect})
    w, h = b.aspect.size(720)
    assert {"16:9": (1280, 720), "9:16": (720, 1280), "1:1": (720, 720)}[aspect] == (w, h)
    assert b.aspect.size(1080) in {(1920, 1080), (1080, 1920), (1080, 1080)}


def test_emoji_rtl_and_long_words_are_accepted() -> None:
    for text in [
        "Launch day 🚀🎉 for everyone",
        "مرحبا بكم في الإطلاق الجديد",
        "שלום לכולם והצלחה",
        "x" * 200,
    ]:
        assert parse_briefing({**VALID, "title": text[:200]}).title == text[:200]


def test_missing_and_unknown_fields() -> None:
    with pytest.raises(BriefingError) as info:
        parse_briefing({"title": "abc", "colour": "red"})
    assert info.value.errors["description"] == "Description is required"
    assert "Unknown field" in info.value.errors["colour"]


def test_briefing_is_immutable() -> None:
    b = Briefing(**VALID)
    with pytest.raises(Exception):  # noqa: B017
        b.title = "changed"  # type: ignore[misc]
