"""When and how a scene's text enters and leaves, from its plan and the narrator's word timings
(no video needed)."""

from __future__ import annotations

import numpy as np
from PIL import Image

from pipeline.briefing import Style
from pipeline.models import ScenePlan, WordTiming
from pipeline.render.kinds import ENTER, Layer, Look, render_scene
from pipeline.render.stills import Geometry

SAFETY = "Walk only on the green path through the loading bay. Wear your vest at all times."


def timed(text: str, start: float = 0.4, step: float = 0.35) -> tuple[WordTiming, ...]:
    return tuple(
        WordTiming(word=w, start=round(start + i * step, 2), end=round(start + (i + 1) * step, 2))
        for i, w in enumerate(text.split())
    )


def said(spoken: str, word: str) -> float:
    return timed(spoken)[spoken.split().index(word)].start


def layers(kind: str, headline: str, spoken: str, layout: str = "left", size=(1280, 720)) -> list[Layer]:
    geo = Geometry(*size)
    look = Look(geo, Style.MODERN, Image.new("RGB", geo.canvas, (20, 30, 60)), timed(spoken))
    plan = ScenePlan(kind=kind, headline=headline, layout=layout, visual_prompt="x")
    return render_scene(plan, look)


def gone_by(layer: Layer) -> float | None:
    """When the layer's last state (fully transparent) begins; None if it never leaves."""
    last = np.asarray(layer.final())[..., 3]
    return layer.state_times[-1] if layer.state_times and last.max() == 0 else None


def test_a_headline_from_the_second_sentence_enters_as_it_is_spoken_after_the_first_ones() -> None:
    opening, main = [x for x in layers("statement", "Wear your vest", SAFETY) if x.role == "headline"]
    wear = said(SAFETY, "Wear")
    assert abs(main.start - (wear - 0.15)) < 0.01
    # The first sentence has its own headline until then: the frame is never bare.
    assert opening.start == ENTER and gone_by(opening) is not None
    assert wear - 0.2 < gone_by(opening) <= main.start + 0.01
    bars = [x for x in layers("statement", "Wear your vest", SAFETY) if x.role == "bar"]
    assert sorted(b.start for b in bars) == [ENTER, main.start]  # each line brings its accent bar


def test_a_headline_from_the_first_sentence_enters_with_the_scene_and_stays() -> None:
    spoken = "Wear your vest at all times. Walk only on the green path through the loading bay."
    (only,) = layers("statement", "Wear your vest", spoken, layout="center")
    assert only.start == ENTER and gone_by(only) is None


def test_without_word_timings_the_headline_enters_with_the_scene() -> None:
    (only,) = [x for x in layers("statement", "Wear your vest", "") if x.role == "headline"]
    assert only.start == ENTER


def test_a_closing_line_from_the_last_sentence_takes_over_from_the_first() -> None:
    spoken = "Report any slippery surface to the shift lead at once. Wear the studded overshoes."
    shown = layers("closing", "Wear the studded overshoes", spoken, size=(720, 1280))
    opening, main = sorted(shown, key=lambda x: x.start)
    assert abs(main.start - (said(spoken, "Wear") - 0.15)) < 0.01
    assert opening.start == ENTER and gone_by(opening) is not None


def test_playful_text_sits_on_a_firm_scrim_over_its_confetti() -> None:
    geo = Geometry(1280, 720)
    for style, firm in ((Style.PLAYFUL, True), (Style.MODERN, False)):
        look = Look(geo, style, Image.new("RGB", geo.canvas, (20, 30, 60)))
        for kind in ("title", "closing"):
            plan = ScenePlan(kind=kind, headline="Meet the support team", visual_prompt="x")
            layer = render_scene(plan, look)[0]
            edge = np.asarray(layer.final())[layer.height // 2, 4, 3]  # the box's padding, no text
            assert (edge >= 0.55 * 255) == firm, (style, kind, edge)
