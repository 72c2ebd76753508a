"""When a scene's text enters, from the narrator's word timings (no video needed)."""

from __future__ import annotations

from PIL import Image

from pipeline.briefing import Style
from pipeline.models import ScenePlan, WordTiming
from pipeline.render.kinds import ENTER, Look, render_scene
from pipeline.render.stills import Geometry


def timed(text: str, start: float = 0.4, step: float = 0.35) -> tuple[WordTiming, ...]:
    return tuple(
        WordTiming(word=w, start=round(start + i * step, 2), end=round(start + (i + 1) * step, 2))
        for i, w in enumerate(text.split())
    )


def entrances(headline: str, spoken: str, layout: str = "left") -> dict[str, float]:
    geo = Geometry(1280, 720)
    look = Look(geo, Style.MODERN, Image.new("RGB", geo.canvas, (20, 30, 60)), timed(spoken))
    plan = ScenePlan(kind="statement", headline=headline, layout=layout, visual_prompt="x")
    return {layer.role: layer.start for layer in render_scene(plan, look)}


def test_a_headline_from_the_second_sentence_enters_as_it_is_spoken() -> None:
    spoken = "Walk only on the green path through the loading bay. Wear your vest at all times."
    at = entrances("Wear your vest", spoken)
    wear = timed(spoken)[spoken.split().index("Wear")].start
    assert abs(at["headline"] - (wear - 0.15)) < 0.01
    assert at["bar"] == at["headline"]  # the accent bar comes with it


def test_a_headline_from_the_first_sentence_enters_with_the_scene() -> None:
    spoken = "Wear your vest at all times. Walk only on the green path through the loading bay."
    assert entrances("Wear your vest", spoken, layout="center") == {"headline": ENTER}


def test_without_word_timings_the_headline_enters_with_the_scene() -> None:
    assert entrances("Wear your vest", "")["headline"] == ENTER


def test_a_closing_line_from_the_last_sentence_enters_as_it_is_spoken() -> None:
    spoken = "Report any slippery surface to the shift lead at once. Wear the studded overshoes."
    geo = Geometry(720, 1280)
    look = Look(geo, Style.CORPORATE, Image.new("RGB", geo.canvas, (20, 30, 60)), timed(spoken))
    plan = ScenePlan(kind="closing", headline="Wear the studded overshoes", visual_prompt="x")
    starts = {layer.role: layer.start for layer in render_scene(plan, look)}
    wear = timed(spoken)[spoken.split().index("Wear")].start
    assert abs(starts["cta"] - (wear - 0.15)) < 0.01
