"""Scene kinds read from the text: figures, enumerations, quotations, calls to action, old drafts."""

import pytest

from pipeline.agents.scene_kinds import (
    assign_kinds,
    call_to_action,
    find_figure,
    find_link,
    list_fields,
    quote_fields,
    stat_fields,
)
from pipeline.agents.storyboarder import plan_offline
from pipeline.briefing import Briefing
from pipeline.models import ScenePlan, Script, ScriptScene, Storyboard
from pipeline.render.kinds import count_states
from pipeline.text import sentences

BRIEFING = Briefing(
    title="Nimbus: the quarter in review",
    description=(
        "Nimbus keeps every file in sync. Revenue grew 12% this quarter. "
        "Questions go to #nimbus-launch. Try it free for thirty days at https://nimbus.example/start."
    ),
    duration=40,
)
NARRATIONS = [
    "Nimbus: the quarter in review.",
    "This quarter, revenue grew 12% across every region.",
    "It works offline, resolves conflicts for you, and encrypts everything end to end.",
    "As Ana Ruiz put it, “Nimbus saved our launch week.”",
    "Every file your team touches stays in sync on every device.",
    "Try it free for thirty days.",
]


def board_for(narrations: list[str], **plan: object) -> tuple[Script, Storyboard]:
    script = Script(scenes=[ScriptScene(narration=n, key_point=n[:30]) for n in narrations])
    plans = [
        ScenePlan(headline=f"Scene {i}", visual_prompt="x", duration=5.0, **plan)
        for i in range(len(narrations))
    ]
    return script, Storyboard(scenes=plans)


def test_every_kind_is_read_from_the_script() -> None:
    script, board = board_for(NARRATIONS)
    out = assign_kinds(BRIEFING, script, board)
    assert [s.kind for s in out.scenes] == ["title", "stat", "list", "quote", "statement", "closing"]
    title, stat, items, quote, statement, closing = out.scenes
    assert (
        title.headline == "Nimbus: the quarter in review"
        and title.subtitle == "Nimbus keeps every file in sync"
    )
    assert (stat.figure, stat.unit, stat.label) == ("12%", "", "Revenue growth across every region")
    assert items.items == ["Works offline", "Resolves conflicts for you", "Encrypts everything end to end"]
    assert (quote.quote, quote.attribution) == ("Nimbus saved our launch week.", "Ana Ruiz")
    assert statement.headline == "Scene 4"
    assert closing.headline == "Try it free for thirty days"
    assert closing.link == "https://nimbus.example/start"
    # Durations and the other plan fields are kept; the same input gives the same board.
    assert [s.duration for s in out.scenes] == [5.0] * 6
    assert assign_kinds(BRIEFING, script, board) == out


@pytest.mark.parametrize(
    ("text", "figure", "unit", "label"),
    [
        ("We closed $4.2M in new deals.", "$4.2M", "", "We closed in new deals"),
        ("Sales hit $4.2 million last year.", "$4.2M", "", "Sales hit last year"),
        ("Support answers within 30 days.", "30", "days", "Support answers"),
        ("Teams ship 3x faster with it.", "3x", "", "Teams ship faster with it"),
        ("Churn fell by 12 percent.", "12%", "", "Churn decline"),
        ("Revenue grew 12% this quarter.", "12%", "", "Revenue growth this quarter"),
        ("Churn fell to 3.1%.", "3.1%", "", "Churn"),
        ("Setup takes two minutes and needs no IT ticket.", "2", "minutes", "Setup"),
        ("Our NPS climbed from 41 to 56 this quarter.", "56", "", "Our NPS climbed from 41"),
        # A noun we have no unit for still says what is counted, in any language.
        ("About 4,100 orders were affected.", "4,100", "orders", "Affected"),
        ("Bis zu 40 Stunden pro Jahr.", "40", "Stunden", "Pro Jahr"),
        ("La formación dura 1,9 días.", "1,9", "días", "La formación dura"),  # a decimal comma
    ],
)
def test_figures_keep_their_units(text: str, figure: str, unit: str, label: str) -> None:
    assert stat_fields(text) == {"figure": figure, "unit": unit, "label": label}


def test_years_and_small_bare_numbers_are_not_stats() -> None:
    assert find_figure("In 2026 we moved offices.") is None
    assert find_figure("We have 2 of them.") is None
    assert stat_fields("Nothing to count here.") is None
    # Ranges are no stats: their label would read "between and".
    assert stat_fields("Die Kernarbeitszeit liegt künftig zwischen 10 und 15 Uhr.") is None
    assert stat_fields("Support answers between 10 and 16 on weekdays.") is None
    assert stat_fields("Support hours are 9-17 on weekdays.") is None
    assert stat_fields("Salary range is €95,000 to €120,000, plus equity.") is None
    assert stat_fields("Les cotisations baissent de 10 à 15 % selon le contrat.") is None
    # Times, dates, extensions and names of things count nothing.
    outage = "On Tuesday 12 March, between 14:02 and 14:49 UTC, 38% of checkout requests failed."
    assert stat_fields(outage)["figure"] == "38%"
    assert stat_fields("We restored service at 14:47 UTC, in eu-west-1.") is None
    assert stat_fields("Renewal had been failing since 28 February.") is None
    assert stat_fields("If you clicked it, call IT on ext. 4400.") is None
    assert find_figure("In 2026 we moved offices.") is None


def test_german_dates_and_abbreviations_do_not_end_sentences() -> None:
    said = "Ab dem 1. Januar gilt ein neues Modell. Fragen gerne, z. B. per E-Mail. Wir sind da."
    assert sentences(said) == [
        "Ab dem 1. Januar gilt ein neues Modell.",
        "Fragen gerne, z. B. per E-Mail.",
        "Wir sind da.",
    ]
    assert sentences("We hired 14. Then we grew.") == ["We hired 14.", "Then we grew."]


def test_enumerations_become_lists_and_pairs_do_not() -> None:
    assert list_fields("Three things matter: speed, safety and cost.") == {
        "items": ["Speed", "Safety", "Cost"],
        "headline": "Three things matter",
    }
    lead = list_fields(
        "Nimbus keeps every file your team touches in sync, across laptops, phones and the office server."
    )
    assert lead == {
        "items": ["Laptops", "Phones", "Office server"],
        "headline": "Nimbus keeps every file your team touches in sync",
    }
    # The colon of "1:1" leads nothing; a verb phrase before a preposition does.
    assert list_fields("Book a 1:1 with your manager, your buddy and someone from HR.") == {
        "items": ["Manager", "Buddy", "Someone from HR"],
        "headline": "Book a 1:1",
    }
    assert list_fields("It is fast and simple.") is None
    assert list_fields("One, two, three, four, five and six.") is None  # more than four items


def test_a_call_to_action_naming_several_channels_keeps_them() -> None:
    b = Briefing(
        title="Your first week",
        description="Welcome aboard. Join #general, #random, #announcements and your team channel.",
        duration=20,
    )
    join = "Join #general, #random, #announcements and your team channel."
    last = ScriptScene(narration=join, key_point="x")
    assert call_to_action(b, last) == "Join #general, #random, #announcements and your team channel"
    script = Script(scenes=[ScriptScene(narration="Welcome aboard.", key_point="Welcome aboard"), last])
    assert plan_offline(b, script, 30).scenes[-1].link == ""  # the card's words show the channels already


def test_a_quotation_of_two_sentences_is_one_quote_with_its_speaker_named_before() -> None:
    b = Briefing(
        title="What customers say",
        description=(
            "Beacon helps field teams find each other in seconds. Maria Lopez, operations director at "
            'Northwind Logistics, put it best: "Beacon cut our dispatch time in half. My drivers stopped '
            'calling the office and started delivering." Join 300 teams who already trust Beacon.'
        ),
        duration=30,
    )
    said = sentences(b.description)
    assert said[2].startswith('"Beacon cut our dispatch time in half. My drivers stopped')
    assert said[2].endswith('started delivering."')
    assert list_fields(said[1]) is None  # "Maria Lopez, operations director ..., put it best" is no list
    script = Script(scenes=[ScriptScene(narration=t, key_point=t) for t in ("What customers say", *said)])
    quote = plan_offline(b, script, 30).scenes[3]
    assert (quote.kind, quote.attribution) == ("quote", "Maria Lopez")
    assert quote.quote.endswith("started delivering.")


def test_the_closing_card_says_what_the_closing_scene_asks() -> None:
    b = Briefing(
        title="Orbit 2.0",
        description=(
            "Orbit 2.0 ships today. Read the release notes at https://orbit.example.com/releases/2.0 "
            "and download it from orbit.example.com/download. The beta ends on Friday, so upgrade now."
        ),
        duration=20,
    )
    last = ScriptScene(narration="The beta ends on Friday, so upgrade now.", key_point="x")
    assert call_to_action(b, last) == "Upgrade now"  # a clause asks, not only a whole sentence
    listed = ScriptScene(
        narration="It shows revenue, open invoices and overdue payments at a glance.", key_point="x"
    )
    assert call_to_action(b, listed) != "Open invoices and overdue payments at a glance"  # an item, no ask
    email = Briefing(
        title="Questions", description="Welcome. Write to hr@example.com or visit the office.", duration=20
    )
    assert call_to_action(email, None) == "Write or visit the office"
    # Two addresses inside a sentence are taken out; the card's link line shows the first.
    notes = ScriptScene(narration=sentences(b.description)[1], key_point="x")
    assert call_to_action(b, notes) == "Read the release notes and download it"


def test_quotes_and_their_attribution() -> None:
    assert quote_fields("“It just works,” says Maria Lopez of Acme.") == {
        "quote": "It just works",
        "attribution": "Maria Lopez of Acme",
    }
    assert quote_fields('He said "hi".') is None  # too short to be a quotation


def test_closing_takes_the_call_to_action_and_a_link_or_channel() -> None:
    b = Briefing(
        title="Winter safety",
        description="Ice forms early. Report slippery ramps in #site-safety.",
        duration=20,
    )
    assert call_to_action(b, None) == "Report slippery ramps"
    assert find_link(b) == "#site-safety"
    plain = Briefing(
        title="Winter safety on site", description="Ice forms on the ramps before sunrise.", duration=20
    )
    assert call_to_action(plain, None) == "Winter safety on site"
    assert find_link(plain) == ""


def test_model_kinds_are_kept_when_they_hold_and_repaired_when_not() -> None:
    script, board = board_for(["Intro.", "We grew a lot.", "Fast, safe and cheap.", "Bye now."])
    scenes = list(board.scenes)
    scenes[1] = scenes[1].model_copy(update={"kind": "stat", "figure": "", "label": "growth"})  # no figure
    scenes[2] = scenes[2].model_copy(update={"kind": "list", "items": ["Fast", "Safe", "Cheap"]})
    out = assign_kinds(BRIEFING, script, Storyboard(scenes=scenes)).scenes
    assert out[1].kind == "statement"  # a stat needs a number; the narration has none
    assert out[2].kind == "list" and out[2].items == ["Fast", "Safe", "Cheap"]
    # Too many items: read again from the narration; overlong items are cut to six words.
    for items, expected in (
        (["Go"] * 7, ["Fast", "Safe", "Cheap"]),
        (["word " * 12] * 4, ["word word word word word word"] * 4),
    ):
        odd = scenes[2].model_copy(update={"items": items})
        fixed = assign_kinds(BRIEFING, script, Storyboard(scenes=[scenes[0], scenes[1], odd, scenes[3]]))
        assert fixed.scenes[2].items == expected


def test_old_stored_plans_load_as_statements() -> None:
    old = '{"headline": "Files stay in sync", "visual_prompt": "x", "layout": "left", "duration": 4.0}'
    plan = ScenePlan.model_validate_json(old)
    assert plan.kind == "statement" and plan.items == [] and plan.motion is None


def test_count_up_keeps_the_figure_format() -> None:
    states = count_states("$4.2M", 5)
    assert states[0] == "$0.0M" and states[-1] == "$4.2M" and len(states) == 5
    assert count_states("1,200 users", 3)[1].endswith(" users") and "," in count_states("1,200", 3)[1]
    assert count_states("n/a") == ["n/a"]
    assert count_states("3x") == ["3x"]  # a small whole number lands; "0x faster" is no state to show


def test_the_title_card_does_not_show_words_the_next_scenes_say() -> None:
    # The first sentence narrated in scene 2 would be its headline too: the title card stays bare.
    script, board = board_for([NARRATIONS[0], "Nimbus keeps every file in sync.", *NARRATIONS[2:]])
    title = assign_kinds(BRIEFING, script, board).scenes[0]
    assert (title.headline, title.subtitle) == ("Nimbus: the quarter in review", "")


@pytest.mark.parametrize(
    ("text", "figure", "label"),
    [
        # The full stop inside "$4.2M" ended the clause: "Revenue quarter over quarter to $4".
        ("Revenue grew 18% quarter over quarter to $4.2M.", "18%", "Revenue growth quarter over quarter"),
        # A lone article is no label: the words after the figure say what it counts.
        ("El 92% de los equipos beta dijo que trabaja más rápido.", "92%", "De los equipos beta dijo"),
    ],
)
def test_a_label_is_its_figures_own_words(text: str, figure: str, label: str) -> None:
    found = stat_fields(text)
    assert found is not None and (found["figure"], found["label"]) == (figure, label)


def test_a_singular_unit_counts_only_after_one() -> None:
    assert stat_fields("In three time zones we answer within an hour.") is None
    assert find_figure("It took one day.")[:2] == ("1", "day")


def test_links_keep_their_subdomain_and_addresses_their_user() -> None:
    for text, link in (
        ("Pruébalo gratis hoy en atlas.example.com/prueba.", "atlas.example.com/prueba"),
        ("Write to help@example.com with questions.", "help@example.com"),
    ):
        assert find_link(Briefing(title="Atlas 2.0", description=text, duration=20)) == link


def test_the_closing_card_says_the_closing_scenes_call_to_action_not_an_earlier_card() -> None:
    said = "Last quarter we had 3 near misses at Dock B. Let's make it zero."
    b = Briefing(title="Forklift zones", description=f"Wear your vest at all times. {said}", duration=20)
    last = ScriptScene(narration=said, key_point="x")
    # The briefing's last imperative was already scene 2's headline; "Dock B." is no initial.
    assert call_to_action(b, last, ("Forklift zones", "Wear your vest at all times")) == "Let's make it zero"
    spanish = ScriptScene(narration="Pruébalo gratis hoy en atlas.example.com/prueba.", key_point="x")
    atlas = Briefing(title="Atlas 2.0", description="Atlas 2.0 ya está aquí.", duration=15)
    assert call_to_action(atlas, spanish) == "Pruébalo gratis hoy"
