"""The offline writer on briefings of every shape (tests/data/briefings.yaml), at draft level:
honest narration, complete headlines, a fit the narrator can voice, feedback never spoken,
and exact scene edits."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from pipeline import Briefing, EditError, PipelineConfig, SceneEdit, edit_draft, make_draft, parse_briefing
from pipeline.agents.fixed_lines import FIXED_LINES
from pipeline.agents.narrator import LEAD_IN, MAX_SPEED, SENTENCE_GAP, TAIL
from pipeline.agents.scriptwriter import MIN_PACE, offline_script, title_line
from pipeline.agents.storyboarder import plan_offline
from pipeline.feedback import read_feedback
from pipeline.text import (
    FUNCTION_WORDS,
    HEADLINE_MAX_WORDS,
    for_speech,
    headline_from,
    sentences,
    speakable,
    spoken_seconds,
)

BRIEFINGS = [
    parse_briefing(d)
    for d in yaml.safe_load((Path(__file__).parents[1] / "data" / "briefings.yaml").read_text())
]
IDS = [f"{i}-{b.title[:20]}" for i, b in enumerate(BRIEFINGS)]


def norm(text: str) -> str:
    return " ".join(re.sub(r"[^\w%$#@/.'-]+", " ", speakable(for_speech(text)).lower()).split()).strip(" .")


def voiced_seconds(narrations: list[str], pace: float) -> float:
    """The narrator's own sums: voice at the pace, breaths between sentences, lead-in and tail."""
    spoken = sum(spoken_seconds(t) for t in narrations) / pace
    gaps = sum(len(sentences(t)) - 1 for t in narrations) * SENTENCE_GAP
    return spoken + gaps + len(narrations) * (LEAD_IN + TAIL)


def dangling(headline: str) -> bool:
    words = headline.split()
    return headline.rstrip()[-1:] in ",;:-–—" or words[-1].lower().strip(".!?\"'") in FUNCTION_WORDS


def test_the_data_file_has_every_shape() -> None:
    assert len(BRIEFINGS) >= 30
    counts = [len(sentences(b.description)) for b in BRIEFINGS]
    assert min(counts) == 1 and max(counts) >= 60
    assert any(b.title.endswith("?") for b in BRIEFINGS) and any("%" in b.title for b in BRIEFINGS)
    assert any("https://" in b.description for b in BRIEFINGS) and any(
        "🚀" in b.description for b in BRIEFINGS
    )


@pytest.mark.parametrize("briefing", BRIEFINGS, ids=IDS)
def test_offline_script_is_the_briefing_itself_fitted_to_its_duration(briefing: Briefing) -> None:
    written = offline_script(briefing)
    script = written.script
    board = plan_offline(briefing, script, 30)
    description = norm(briefing.description)
    fixed = {norm(line) for line in FIXED_LINES}
    title = norm(title_line(briefing.title) or "")
    said = [norm(s) for scene in script.scenes for s in sentences(scene.narration)]

    # Every sentence comes from the briefing, the title or the fixed opener/closer set ...
    for sentence in said:
        assert sentence in fixed or sentence == title or sentence in description, sentence
    # ... at most one of each fixed line, and no sentence said twice.
    assert len(said) == len(set(said))
    assert sum(s in fixed for s in said) <= 2
    # What was left out is listed, and the draft says so.
    left_out, seen = {norm(s) for s in written.omitted}, set()
    for sentence in (norm(s) for s in sentences(briefing.description)):
        assert sentence in said or sentence in left_out or sentence in seen or sentence == title, sentence
        seen.add(sentence)
    if written.omitted:
        assert any(n.startswith(f"Left out {len(written.omitted)} sentence") for n in written.notes)

    # Headlines: from the scene's own words, at most 8 words, never cut mid-phrase.
    for scene, plan in zip(script.scenes, board.scenes, strict=True):
        head = scene.key_point
        assert 0 < len(head.split()) <= HEADLINE_MAX_WORDS, head
        whole = norm(head) in [norm(s) for s in sentences(scene.narration)] or norm(head) == norm(
            briefing.title
        )
        assert whole or not dangling(head), head
        assert norm(head) in norm(scene.narration) or norm(head) == norm(speakable(briefing.title)), head
        if plan.headline:
            assert len(plan.headline.split()) <= 10 and (not dangling(plan.headline) or whole), plan.headline
        # A headline is shown, not said: it is never a sentence of its own in the narration
        # unless the scene's sentence is that short.
        assert head + "." not in scene.narration or norm(head) in said

    # The fit: within the narrator's limits, at a natural pace, and no time wasted on
    # padding when the description is long.
    assert MIN_PACE <= script.pace <= 1.0
    need = voiced_seconds([s.narration for s in script.scenes], script.pace)
    assert need <= briefing.duration, f"needs {need:.1f} s of {briefing.duration}"
    if written.omitted:
        assert need >= 0.75 * briefing.duration
    assert voiced_seconds([s.narration for s in script.scenes], MAX_SPEED) <= briefing.duration
    assert round(sum(p.duration for p in board.scenes) * 30) == briefing.duration * 30


def test_short_description_gets_a_title_card_slower_pace_and_a_closing_line() -> None:
    b = Briefing(title="Revenue grew 12% this quarter", description="Churn fell to 3.1%.", duration=30)
    written = offline_script(b)
    scenes = [s.narration for s in written.script.scenes]
    assert scenes[0].startswith("Revenue grew 12% this quarter.")  # the title on its own
    assert scenes[-1].endswith("Thank you for watching.")
    assert written.script.pace == MIN_PACE
    assert any("Add detail to the description" in n for n in written.notes)
    # The old filler wrapped the title in sentences that do not parse.
    assert not any("for Revenue" in s or "that's Revenue" in s.lower() for s in scenes)


@pytest.mark.parametrize(
    ("text", "said"),
    [
        (
            'As Dana put it, "Nimbus is the tool nobody complains about." Next we grow.',
            ['As Dana put it, "Nimbus is the tool nobody complains about."', "Next we grow."],
        ),
        ("We ship it (finally.) Then we rest", ["We ship it (finally.)", "Then we rest."]),
        ('She said "hi" and left', ['She said "hi" and left.']),
    ],
)
def test_a_quotation_ending_a_sentence_keeps_its_closing_mark_and_gets_no_second_stop(
    text: str, said: list[str]
) -> None:
    assert sentences(text) == said
    narration = " ".join(
        s.narration for s in offline_script(Briefing(title="A quote", description=text)).script.scenes
    )
    assert '.".' not in narration and ".)." not in narration


def test_long_description_keeps_first_sentences_numbers_and_the_call_to_action() -> None:
    b = next(b for b in BRIEFINGS if b.title == "The Nimbus handbook")
    written = offline_script(b)
    said = " ".join(s.narration for s in written.script.scenes)
    assert said.startswith("The Nimbus handbook. Welcome to the Nimbus employee handbook video.")
    assert said.endswith("Read the full handbook at intranet.example.com/handbook.")
    assert "Every employee gets 25 days of paid holiday a year." in said
    assert "Public holidays come on top of that." in written.omitted
    assert len(written.omitted) > 30


@pytest.mark.parametrize(
    ("sentence", "headline"),
    [
        ("Ab dem 1. Januar gilt bei uns ein neues Arbeitszeitmodell.", "Ab dem 1. Januar gilt bei uns"),
        ("Mobiles Arbeiten ist an bis zu drei Tagen pro Woche möglich und erwünscht.", None),
        ("El equipo de ventas cerró el trimestre con un crecimiento del doce por ciento.", None),
    ],
)
def test_a_headline_in_another_language_is_not_cut_after_an_article(sentence: str, headline) -> None:
    got = headline_from(sentence)
    assert got.split()[-1].lower() not in {
        "ein",
        "eine",
        "dem",
        "der",
        "an",
        "bis",
        "zu",
        "el",
        "un",
        "con",
        "del",
    }
    assert headline is None or got == headline


def test_headlines_say_what_to_do_and_close_what_they_open() -> None:
    spanish = headline_from("¡Gracias por el esfuerzo de este trimestre tan largo, equipo de ventas!")
    assert spanish.endswith("!")
    # What to do, not the condition; never ending on the word that opens a clause.
    said = "If you already clicked, disconnect from Wi-Fi and call the IT hotline on ext. 4400."
    assert headline_from(said) == "Disconnect from Wi-Fi"
    renewal = (
        "Automatic renewal had been failing silently since 28 February because a DNS record was removed."
    )
    assert headline_from(renewal) == "Automatic renewal had been failing silently"


def test_a_quotation_and_the_sentence_introducing_it_are_kept_or_left_out_together() -> None:
    quote = (
        '"We want someone who cares about boring reliability as much as shiny new tools, who writes '
        'things down, and who leaves every system a little calmer than they found it."'
    )
    b = Briefing(
        title="We are hiring",
        description=(
            "Our data team is growing in Lisbon. You will own pipelines that move 2 billion events a day. "
            f"Priya Nair, head of data, says: {quote} The team ships 40 releases a month. "
            "Refer a friend at careers.example.com/data."
        ),
        duration=25,  # room for the short introduction, not for the long quotation
    )
    written = offline_script(b)
    said = " ".join(s.narration for s in written.script.scenes)
    assert "Priya Nair" not in said and "boring reliability" not in said, said
    assert any("Priya Nair" in t and "boring reliability" in t for t in written.omitted), written.omitted


def test_a_greeting_does_not_take_the_opening_sentences_place_and_a_teaser_gets_no_thanks() -> None:
    b = Briefing(
        title="Actualización del trimestre",
        description=(
            "Hola a todos. La formación de seguridad es obligatoria antes del viernes 14. "
            "El equipo creció este trimestre. Las ventas subieron en todas las regiones. "
            "La oficina nueva abre en mayo. Gracias por el esfuerzo."
        ),
        duration=15,
    )
    written = offline_script(b)
    said = " ".join(s.narration for s in written.script.scenes)
    assert "La formación de seguridad es obligatoria antes del viernes 14." in said
    teaser = offline_script(
        Briefing(title="Project Atlas", description="Coming soon. Stay tuned.", duration=15)
    )
    assert not any(
        line in s.narration for s in teaser.script.scenes for line in FIXED_LINES if "hank" in line
    )


def test_a_date_in_words_counts_as_a_fact_when_sentences_are_left_out() -> None:
    filler = " ".join(f"Room {c} has a plant." for c in "ABCDEFGHIJKLMNOP").replace("Room", "The room")
    b = Briefing(
        title="The office move",
        description=f"Our office moves soon. {filler} We move on the twelfth of March. See you there.",
        duration=15,
    )
    written = offline_script(b)
    assert "We move on the twelfth of March." in " ".join(s.narration for s in written.script.scenes)
    assert written.omitted


@pytest.mark.parametrize(
    ("feedback", "understood"),
    [
        ("Request changes: make it shorter", {"length": -1}),
        ("longer please", {"length": 1}),
        (
            "scene 2: Nimbus syncs every file.",
            {"edits": [SceneEdit(number=2, narration="Nimbus syncs every file.")]},
        ),
        ("Headline 3: Works offline", {"edits": [SceneEdit(number=3, headline="Works offline")]}),
        (
            "remove scene 4 and scene 5",
            {"edits": [SceneEdit(number=4, remove=True), SceneEdit(number=5, remove=True)]},
        ),
        (
            "delete scenes 2, 3",
            {"edits": [SceneEdit(number=2, remove=True), SceneEdit(number=3, remove=True)]},
        ),
        ("make it more humorous", {"tone": "humorous"}),
        ("friendlier and shorter", {"tone": "friendly", "length": -1}),
        ("make it pop", {"unclear": ["make it pop"]}),
        (
            "shorter, and mention our pricing page",
            {"length": -1, "unclear": ["shorter, and mention our pricing page"]},
        ),
    ],
)
def test_feedback_rules(feedback: str, understood: dict) -> None:
    got = read_feedback(feedback)
    for key, value in understood.items():
        assert getattr(got, key) == value, key
    if "unclear" not in understood:
        assert got.unclear == []


@pytest.fixture(scope="module")
def drafted(tmp_path_factory: pytest.TempPathFactory):
    config = PipelineConfig(work_dir=tmp_path_factory.mktemp("w"), height=240)
    b = parse_briefing(yaml.safe_load((Path(__file__).parents[2] / "examples" / "launch.yaml").read_text()))
    return config, make_draft(b, config)


@pytest.mark.parametrize(
    "feedback",
    [
        "Request changes: make it shorter",
        "make it pop and add our logo",
        "scene 2: Nimbus syncs every file you touch.\nheadline 3: Works offline\nremove scene 9",
        "more humorous",
        "longer",
    ],
)
def test_offline_feedback_is_an_instruction_never_narration(drafted, feedback: str) -> None:
    config, first = drafted
    revised = make_draft(first.briefing, config, previous=first, feedback=feedback)
    said = " ".join(s.narration for s in revised.script.scenes)
    assert revised.revision == 2 and revised.notes
    for line in feedback.splitlines():
        assert line not in said and "Request changes" not in said
    if feedback.startswith("Request changes"):
        assert revised.script.word_count < first.script.word_count
        assert any(n.startswith("Made the narration shorter") for n in revised.notes)
    if "pop" in feedback:
        assert revised.script == first.script
        assert any(
            "cannot apply “make it pop and add our logo”" in n and "Edit scenes" in n for n in revised.notes
        )
    if feedback.startswith("scene 2"):
        assert revised.script.scenes[1].narration == "Nimbus syncs every file you touch."
        assert revised.storyboard.scenes[2].headline == "Works offline"
        assert "There is no scene 9; the draft has 4." in revised.notes
        assert revised.script.scenes[3] == first.script.scenes[3]
    if feedback == "more humorous":
        assert revised.briefing.tone == "humorous" and "Here's the short version." in said
    if feedback == "longer":
        assert revised.script == first.script and "already in" in revised.notes[0]


def test_edit_draft_says_exactly_the_given_words_and_keeps_the_rest(drafted) -> None:
    config, first = drafted
    edits = [
        SceneEdit(number=2, narration="Nimbus syncs every file."),
        SceneEdit(number=3, headline="Offline, too"),
    ]
    edited = edit_draft(first, edits, config)
    assert edited.revision == first.revision + 1 and edited.usage == []
    assert edited.script.scenes[1].narration == "Nimbus syncs every file."
    assert edited.storyboard.scenes[1].headline == first.storyboard.scenes[1].headline  # None: unchanged
    assert edited.storyboard.scenes[2].headline == "Offline, too"
    for i in (0, 3):  # untouched scenes: the same plan, duration and words
        assert edited.storyboard.scenes[i] == first.storyboard.scenes[i]
        assert edited.script.scenes[i] == first.script.scenes[i]
    assert edited.script.pace == first.script.pace  # same voice settings: the voice cache holds
    assert edited.storyboard.scenes[2].duration == first.storyboard.scenes[2].duration
    assert round(sum(p.duration for p in edited.storyboard.scenes) * 30) == first.briefing.duration * 30
    assert edited.notes == ["Edited scene 2 (narration) and scene 3 (headline)."]

    removed = edit_draft(edited, [SceneEdit(number=2, remove=True)], config)
    assert [s.narration for s in removed.script.scenes] == [
        s.narration for i, s in enumerate(edited.script.scenes) if i != 1
    ]


@pytest.mark.parametrize(
    ("edits", "error"),
    [
        ([SceneEdit(number=7, narration="x")], {7: "There is no scene 7; the draft has 4."}),
        ([SceneEdit(number=2, narration="  ")], {2: "Scene 2 needs some narration (or remove the scene)."}),
        ([SceneEdit(number=1, headline="one two three four five six seven eight nine")], {1: "9 words"}),
        ([SceneEdit(number=i, remove=True) for i in range(1, 5)], {0: "keep at least one"}),
        (
            [SceneEdit(number=2, narration="Nimbus keeps files in sync. " * 40)],
            {0: "even at the fastest pace"},
        ),
        ([SceneEdit(number=2)], {0: "change nothing"}),
    ],
)
def test_edits_that_cannot_be_made_name_the_scene(drafted, edits: list[SceneEdit], error: dict) -> None:
    config, first = drafted
    with pytest.raises(EditError) as info:
        edit_draft(first, edits, config)
    for number, words in error.items():
        assert words in info.value.errors[number]
    assert not info.value.retryable


@pytest.mark.slow
def test_an_edited_draft_renders_again_reusing_the_unchanged_scenes(tmp_path: Path) -> None:
    from pipeline import render

    config = PipelineConfig(work_dir=tmp_path / "w", height=240)
    b = parse_briefing(yaml.safe_load((Path(__file__).parents[2] / "examples" / "launch.yaml").read_text()))
    first = make_draft(b, config)
    render(first, config, out=tmp_path / "v1.mp4")
    last = len(first.script.scenes)
    edited = edit_draft(first, [SceneEdit(number=last, narration="Try Nimbus free for a month.")], config)
    result = render(edited, config, out=tmp_path / "v2.mp4")
    # The last scene and the crossfade into it are made again; the scenes before are reused.
    assert result.scenes_rendered <= 2 and result.scenes_reused >= last - 2
    assert abs(result.duration - b.duration) <= 0.1


@pytest.mark.parametrize(
    ("description", "english"),
    [
        ("Die neue Version ist da. Sie synchronisiert alle Dateien auf jedem Gerät.", False),
        ("La nueva versión ya está aquí. Sincroniza todos los archivos en cada dispositivo.", False),
        ("La nouvelle version est là. Elle synchronise tous vos fichiers.", False),
        ("Revenue grew. Churn dropped. Hiring slowed.", True),  # terse English is still English
    ],
)
def test_fixed_lines_are_spoken_only_over_an_english_description(description: str, english: bool) -> None:
    written = offline_script(Briefing(title="Nimbus 2.0", description=description, duration=30))
    spoken = " ".join(s.narration for s in written.script.scenes)
    # Latin letters alone let "Here's a quick look." open a German video.
    assert any(line in spoken for line in FIXED_LINES) is english, spoken
