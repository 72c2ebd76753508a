"""Every scene kind rendered for real in every aspect, checked on decoded frames.

A text layer is on screen when the decoded frame is much nearer to "the scene before any
text entered, with the layer composited on it" than to that scene as it was.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from pipeline import Briefing, PipelineConfig, render
from pipeline.agents.art_director import ProceduralArt, scene_art
from pipeline.agents.editor import PANS, plan_pieces
from pipeline.agents.narrator import LEAD_IN, PiperVoiceEngine, narrate
from pipeline.agents.storyboarder import plan_offline
from pipeline.cache import WorkDir
from pipeline.models import Draft, SceneVoice, Script, ScriptScene, Storyboard
from pipeline.progress import CancelToken
from pipeline.render.motion import Placed
from pipeline.render.stills import Geometry
from pipeline.run import geometry, scene_visuals
from tests.media import frame, probe

pytestmark = pytest.mark.slow

NARRATIONS = [
    "Nimbus: the quarter in review.",
    "This quarter, revenue grew 12% across every region.",
    "It works offline, resolves conflicts for you, and encrypts everything end to end.",
    "As Ana Ruiz put it, “Nimbus saved our launch week.”",
    "Every file your team touches stays in sync.",
    "Try it free for thirty days.",
]
KINDS = ["title", "stat", "list", "quote", "statement", "closing"]
STYLES = {"16:9": "modern", "9:16": "corporate", "1:1": "playful"}  # fade-up, slide, word by word


@dataclass
class Rendered:
    video: Path
    board: Storyboard
    voices: list[SceneVoice]
    layers: list[tuple[Placed, ...]]
    captions: list[Path]
    geo: Geometry
    arts: list[Image.Image]


def render_all_kinds(root: Path, aspect: str) -> Rendered:
    briefing = Briefing(
        title="Nimbus: the quarter in review",
        description="Nimbus keeps every file in sync. Join #nimbus-launch and try it free for thirty days.",
        duration=30,
        style=STYLES[aspect],
        aspect=aspect,
    )
    cfg = PipelineConfig(work_dir=root / "work", height=240, music=False)
    script = Script(scenes=[ScriptScene(narration=n, key_point=n[:20]) for n in NARRATIONS])
    board = plan_offline(briefing, script, cfg.fps)
    draft = Draft(
        briefing=briefing,
        script=script,
        storyboard=board,
        contact_sheet=root / "s.png",
        work_dir=root / "work",
    )
    result = render(draft, cfg, out=root / "v.mp4")
    # The same narration and layers the render used, found in its cache.
    work = WorkDir(root / "work")
    voices, timed = narrate(script, board, PiperVoiceEngine(), work, 30, cfg.fps, CancelToken())
    geo = geometry(briefing, cfg)
    arts = [scene_art(ProceduralArt(), p, briefing.style, geo.canvas, work) for p in timed.scenes]
    visuals = scene_visuals(timed, arts, voices, briefing, geo, work)
    images = [Image.open(a).convert("RGB") for a in arts]
    return Rendered(result.path, timed, voices, [v.layers for v in visuals], result.captions, geo, images)


@pytest.fixture(scope="module", params=list(STYLES))
def rendered(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Rendered:
    return render_all_kinds(tmp_path_factory.mktemp("kinds"), request.param)


def _state(layer: Placed, k: int = -1) -> np.ndarray:
    stacked = np.asarray(Image.open(layer.image).convert("RGBA")).astype(float)
    k = k % (len(layer.state_times) + 1)
    return stacked[k * layer.height : (k + 1) * layer.height]


def errors(img: np.ndarray, bg: np.ndarray, layer: Placed, k: int = -1) -> tuple[float, float]:
    """How far `img` is, over the layer's pixels, from the background with state k of the layer
    composited on it, and from the background alone."""
    over = _state(layer, k)
    alpha = over[..., 3:] / 255
    box = (slice(layer.y, layer.y + layer.height), slice(layer.x, layer.x + layer.width))
    seen, bare = img[box].astype(float), bg[box].astype(float)
    with_layer = bare * (1 - alpha) + over[..., :3] * alpha
    mask = alpha[..., 0] > 0.3
    return float(np.abs(seen - with_layer)[mask].mean()), float(np.abs(seen - bare)[mask].mean())


def shows(img: np.ndarray, bg: np.ndarray, layer: Placed, k: int = -1) -> bool:
    on, off = errors(img, bg, layer, k)
    return on < 0.5 * off


def hides(img: np.ndarray, bg: np.ndarray, layer: Placed) -> bool:
    on, off = errors(img, bg, layer)
    return off < 0.5 * on


def at(rendered: Rendered, i: int, t: float) -> tuple[np.ndarray, np.ndarray]:
    """The decoded frame t s into scene i, and the scene's background at that frame: its art
    cropped where the pan is then (computed here from the pan's end points)."""
    fps = 30
    f = round((rendered.board.starts[i] + t) * fps)
    _, spans = plan_pieces(rendered.board, fps)
    (fx0, fy0), (fx1, fy1) = PANS[i % len(PANS)]
    geo = rendered.geo
    dx, dy = geo.slack
    u = (f - spans[i][0]) / max(1, spans[i][1] - spans[i][0] - 1)
    x, y = int(fx0 * dx + (fx1 - fx0) * dx * u), int(fy0 * dy + (fy1 - fy0) * dy * u)
    art = rendered.arts[i].crop((x, y, x + geo.width, y + geo.height))
    return frame(rendered.video, (f + 0.5) / fps), np.asarray(art.convert("RGB"))


def test_each_kind_renders_its_text_in_every_aspect(rendered: Rendered) -> None:
    assert [s.kind for s in rendered.board.scenes] == KINDS
    assert abs(probe(rendered.video).duration - 30) <= 0.1
    for i, (scene, layers) in enumerate(zip(rendered.board.scenes, rendered.layers, strict=True)):
        texts = [layer for layer in layers if layer.height > 8 and layer.width > 8]
        assert texts, scene.kind
        settled = max(max(layer.start + layer.duration, *layer.state_times, 0) for layer in texts) + 0.2
        assert settled < scene.duration - 0.4, (scene.kind, settled)
        shown, bg = at(rendered, i, settled)
        early, early_bg = at(rendered, i, 0.27)  # the crossfade into the scene is over; no text yet
        for layer in texts:
            assert shows(shown, bg, layer), (scene.kind, layer, errors(shown, bg, layer))
            assert hides(early, early_bg, layer), (scene.kind, layer, errors(early, early_bg, layer))


def _stat(rendered: Rendered) -> tuple[int, Placed]:
    i = KINDS.index("stat")
    (figure,) = [layer for layer in rendered.layers[i] if layer.state_times and layer.height > 30]
    return i, figure


def test_the_stat_figure_counts_up_and_is_on_screen_while_spoken(rendered: Rendered) -> None:
    i, figure = _stat(rendered)
    spoken = [w for w in rendered.voices[i].words if "12" in w.word]
    assert len(spoken) == 1
    for t in (spoken[0].start + 0.04, (spoken[0].start + spoken[0].end) / 2, spoken[0].end - 0.04):
        assert shows(*at(rendered, i, LEAD_IN + t), figure), t
    # Counting: shortly after it enters a lower value shows, not the final figure.
    assert len(figure.state_times) >= 8
    counting, bg = at(rendered, i, figure.state_times[3] + 0.02)
    low, final = errors(counting, bg, figure, 4)[0], errors(counting, bg, figure)[0]
    assert low < final, (low, final)


def test_list_items_appear_one_by_one_as_they_are_spoken(rendered: Rendered) -> None:
    i = KINDS.index("list")
    items = sorted((layer for layer in rendered.layers[i] if layer.height > 8), key=lambda layer: layer.start)
    plan = rendered.board.scenes[i]
    assert len(items) == len(plan.items) == 3
    words = rendered.voices[i].words
    for item, text in zip(items, plan.items, strict=True):
        first = next(w for w in words if w.word.lower().strip(",.") == text.split()[0].lower())
        assert abs(item.start - (LEAD_IN + first.start)) < 0.35, text  # revealed as the narrator says it
    starts = [item.start for item in items]
    assert all(b - a >= 0.3 for a, b in pairwise(starts))
    for k, item in enumerate(items):
        before, bg0 = at(rendered, i, item.start - 0.08)
        after, bg1 = at(rendered, i, item.start + item.duration + 0.1)
        assert hides(before, bg0, item) and shows(after, bg1, item), k
        if k + 1 < len(items) and items[k + 1].start > item.start + item.duration + 0.2:
            assert hides(after, bg1, items[k + 1]), k  # the next one is not there yet
        if k:
            assert shows(before, bg0, items[k - 1]), k  # the previous one stays
        # Frame difference: between the two moments, the item's box is what changed most.
        box = (slice(item.y, item.y + item.height), slice(item.x, item.x + item.width))
        diff = np.abs(after.astype(int) - before.astype(int)).mean(axis=2)
        assert diff[box].mean() > 3 * diff.mean() / 2


def test_captions_leave_as_srt_and_vtt_files(rendered: Rendered) -> None:
    srt, vtt = rendered.captions
    assert (srt.suffix, vtt.suffix) == (".srt", ".vtt") and srt.parent == rendered.video.parent
    blocks = srt.read_text(encoding="utf-8").strip().split("\n\n")
    spoken = " ".join(w.word for v in rendered.voices for w in v.words).split()
    assert " ".join(b.split("\n", 2)[2] for b in blocks).split() == spoken
    times = [b.split("\n")[1] for b in blocks]
    assert [b.split("\n")[0] for b in blocks] == [str(k) for k in range(1, len(blocks) + 1)]
    assert times == sorted(times) and all(" --> " in t and "," in t for t in times)
    text = vtt.read_text(encoding="utf-8")
    assert text.startswith("WEBVTT\n") and text.count(" --> ") == len(blocks)
