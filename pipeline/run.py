"""The pipeline's two entry points: make_draft (cheap, reviewable) and render (the MP4)."""

from __future__ import annotations

import hashlib
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from PIL import Image

from pipeline.agents.art_director import (
    ArtEngine,
    FallbackArt,
    OpenAIImages,
    ProceduralArt,
    draw_scenes,
    scene_art,
)
from pipeline.agents.casting import assign_media, shown_by
from pipeline.agents.editor import Editor, Scenes, SceneVisual, Watermark, timeline_words
from pipeline.agents.narrator import (
    LEAD_IN,
    FallbackVoice,
    OpenAIVoiceEngine,
    PiperVoiceEngine,
    Refit,
    VoiceEngine,
    given_timing,
    narrate,
    voice_in_order,
)
from pipeline.agents.pronouncer import pronounced
from pipeline.briefing import Briefing
from pipeline.cache import WorkDir, content_key
from pipeline.config import PipelineConfig, backend_problems
from pipeline.drafting import plan_draft
from pipeline.edits import SceneEdit, dropped_files
from pipeline.errors import AgentError, Cancelled
from pipeline.llm import ChatModel, make_client
from pipeline.media import MediaItem
from pipeline.models import Draft, RenderResult, ScenePlan, SceneVoice, Script, Storyboard, Usage, WordTiming
from pipeline.progress import CancelToken, ProgressCallback, Reporter, no_progress
from pipeline.render import captions as cap
from pipeline.render.branding import Branding, resolve, watermark
from pipeline.render.kinds import VERSION as KINDS_VERSION
from pipeline.render.kinds import Layer, Look, compose, render_scene
from pipeline.render.media import VERSION as MEDIA_VERSION
from pipeline.render.media import ClipSource, clip_source, dimmed, fills, picture_canvas, picture_rows
from pipeline.render.motion import Placed
from pipeline.render.stills import Geometry, contact_sheet
from pipeline.stock import Pexels, pick_stock
from pipeline.text import reads_english

# Measured by bench/render.py on a 2-core machine (seconds of work per second of video
# at 720p); scaled by pixel count for larger outputs.
RENDER_SECONDS_PER_SECOND = 0.12


@dataclass
class Backends:
    llm: ChatModel | None
    voice: VoiceEngine
    art: ArtEngine
    usage_sources: list = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # a service that fell back mid-task, one line each


def backends(config: PipelineConfig) -> Backends:
    """The engines each capability's backend calls for (PipelineConfig.choice). Unless
    strict_backends, a voice or image service failing mid-task falls back to the offline one."""
    if problems := backend_problems(config):
        raise AgentError("config", problems[0], retryable=False)
    notes: list[str] = []
    llm = ChatModel(config, make_client(config, "text")) if config.choice("text").remote else None
    voice: VoiceEngine = PiperVoiceEngine(config.piper_model)
    if config.choice("voice").remote:
        spoken = OpenAIVoiceEngine(make_client(config, "voice"), config)
        voice = spoken if config.strict_backends else FallbackVoice(spoken, voice, notes)
    art: ArtEngine = ProceduralArt(Branding(config.brand))
    if config.choice("art").remote:
        drawn = OpenAIImages(make_client(config, "art"), config, Branding(config.brand))
        art = drawn if config.strict_backends else FallbackArt(drawn, art, notes)
    sources = [e for e in (voice, art) if hasattr(e, "usage")]
    return Backends(llm, voice, art, sources, notes)


def stock_library(config: PipelineConfig) -> Pexels:
    """Pexels with the config's key, API and shared cache folder (art backend "stock")."""
    key = config.pexels_api_key.get_secret_value() if config.pexels_api_key else ""
    return Pexels(key, config.stock_dir, config.pexels_base_url)


def voice_notes(briefing: Briefing, script: Script, config: PipelineConfig) -> list[str]:
    """A script not in English read by the bundled English voice: say so, and how to change it."""
    if config.choice("voice").backend != "piper" or config.piper_model is not None:
        return []
    if reads_english(" ".join(s.narration for s in script.scenes) or briefing.description):
        return []
    return [
        "The narration is not in English but the voice is the bundled English one (en_US-joe): "
        "set OMA_PIPER_MODEL to a Piper voice for its language (README: A voice for another language)."
    ]


def warm_up(config: PipelineConfig) -> None:
    """Load what a first job would otherwise wait for (the offline voice model, about 1 s), so
    a worker that reports ready renders its first video as fast as its next."""
    voice = backends(config).voice
    if isinstance(voice, PiperVoiceEngine):
        voice.say("Ready.", 1.0)


def geometry(briefing: Briefing, config: PipelineConfig) -> Geometry:
    return Geometry(*briefing.aspect.size(config.height))


def work_dir_for(briefing: Briefing, config: PipelineConfig) -> Path:
    return config.work_dir / content_key("task", briefing)


def branding(config: PipelineConfig) -> Branding:
    """The config's brand kit as this render can use it (its files checked once)."""
    return resolve(config.brand, show_captions=config.captions, position=config.caption_position)


def _canvas(art: Path, geo: Geometry) -> Image.Image:
    img = Image.open(art).convert("RGB")
    return img if img.size == geo.canvas else img.resize(geo.canvas, Image.Resampling.LANCZOS)


def _look(
    art: Path,
    briefing: Briefing,
    geo: Geometry,
    words: tuple[WordTiming, ...] = (),
    brand: Branding | None = None,
    media: SceneMedia | None = None,
) -> Look:
    media = media or SceneMedia()
    extras = tuple(_canvas(p, geo) for p in media.extra)
    return Look(geo, briefing.style, _canvas(art, geo), words, brand or Branding(), extras, media.picture)


@dataclass(frozen=True)
class SceneMedia:
    """What a scene's own picture or clip adds: the clip the editor plays, more stills the text
    must read over (a clip's), and the rows at the top its framed picture keeps from the text."""

    clip: ClipSource | None = None
    extra: tuple[Path, ...] = ()
    picture: int = 0
    backdrop: Path | None = None  # a framed clip's background without its still (the clip plays there)

    def key(self) -> tuple:
        return (self.clip.id() if self.clip else None, [p.name for p in self.extra], self.picture)


@dataclass
class Staged:
    """The scenes' backgrounds with their media composed in, and what each scene's media adds."""

    arts: list[Path]
    media: list[SceneMedia]


def stage_media(
    board: Storyboard, arts: list[Path], media: list[MediaItem], geo: Geometry, work: WorkDir, brand: Branding
) -> Staged:
    """Each scene's background with its own picture (or its clip's stills) composed in."""
    room = brand.room(geo)
    out, added = [], []
    for plan, art, item in zip(board.scenes, arts, shown_by(board, media), strict=True):
        if item is None:
            out.append(art)
            added.append(SceneMedia())
            continue
        shown = plan.model_dump(mode="json", exclude={"duration", "transition", "visual_prompt"})
        stills = [item.path(work.root)] if item.kind == "image" else item.poster_paths(work.root)
        made = []
        for k, still in enumerate(stills):
            key = content_key(
                "media-art", MEDIA_VERSION, item.key, k, art.name, shown, geo.canvas, *brand.key()
            )

            made.append(
                work.build(work.path("art", key, ".bmp"), _save_canvas, still, art, item, plan, geo, room)
            )
        # A clip's keyframe is its middle still; the others are only read for contrast.
        middle = len(made) // 2
        out.append(made[middle])
        clip = clip_source(item, plan, geo, room, work.root) if item.kind == "clip" else None
        backdrop = None
        if clip is not None and clip.box is not None:
            backdrop = work.path("art", content_key("backdrop", MEDIA_VERSION, art.name), ".bmp")

            work.build(backdrop, _save_dimmed, art)
        rows = picture_rows(plan, item, geo, room)
        added.append(SceneMedia(clip, tuple(made[:middle] + made[middle + 1 :]), rows, backdrop))
    return Staged(out, added)


def still_paths(
    board: Storyboard,
    arts: list[Path],
    briefing: Briefing,
    geo: Geometry,
    work: WorkDir,
    brand: Branding | None = None,
    media: list[SceneMedia] | None = None,
) -> list[Path]:
    """Keyframes at frame size: each scene's background at mid-pan with its text settled."""
    brand = brand or Branding()
    out = []
    media = media or [SceneMedia()] * len(arts)
    for plan, art, more in zip(board.scenes, arts, media, strict=True):
        shown = plan.model_dump(mode="json", exclude={"duration", "transition", "visual_prompt"})
        key = content_key(
            "still",
            KINDS_VERSION,
            art.name,
            more.key(),
            shown,
            briefing.style,
            geo.width,
            geo.height,
            *brand.key(),
        )

        look = partial(_look, art, briefing, geo, brand=brand, media=more)
        out.append(work.build(work.path("stills", key, ".bmp"), _save_still, look, plan))
    return out


def _watermark(brand: Branding, board: Storyboard, geo: Geometry, work: WorkDir) -> Watermark | None:
    """The brand's corner logo as a file in the working folder, hidden on title and closing."""
    made = watermark(brand, geo)
    if made is None:
        return None
    img, x, y = made
    path = _save_layer(Layer("watermark", img, x, y, 0.0), work)
    hidden = frozenset(i for i, p in enumerate(board.scenes) if p.kind in ("title", "closing"))
    return Watermark(path, x, y, hidden)


def _save_layer(layer: Layer, work: WorkDir) -> Path:
    """The layer's image under the hash of its pixels (so equal layers share one file)."""
    img = layer.image
    digest = hashlib.sha256(img.tobytes() + repr(img.size).encode()).hexdigest()[:20]
    return work.build(
        work.path("layers", digest, ".png"), lambda tmp: img.save(tmp, format="PNG", compress_level=1)
    )


def scene_visuals(
    board: Storyboard,
    arts: list[Path],
    voices: list[SceneVoice],
    briefing: Briefing,
    geo: Geometry,
    work: WorkDir,
    brand: Branding | None = None,
    media: list[SceneMedia] | None = None,
) -> list[SceneVisual]:
    """Per scene: the background to pan (or its clip) and its text layers, timed to the narration."""
    out = []
    media = media or [SceneMedia()] * len(arts)
    for plan, art, voice, more in zip(board.scenes, arts, voices, media, strict=True):
        words = tuple(
            WordTiming(word=w.word, start=w.start + LEAD_IN, end=w.end + LEAD_IN) for w in voice.words
        )
        layers = render_scene(plan, _look(art, briefing, geo, words, brand, more))
        placed = tuple(Placed.of(layer, _save_layer(layer, work)) for layer in layers)
        out.append(SceneVisual(more.backdrop or art, placed, more.clip))
    return out


def write_captions(
    board: Storyboard, voices: list[SceneVoice], geo: Geometry, video: Path, scale: float = 1.0
) -> list[Path]:
    """The captions as `.srt` and `.vtt` files beside the video (same pages as burned in)."""
    _, _, chars = cap.layout(geo.width, geo.height, scale)
    words = timeline_words(board, voices)
    paths = []
    for suffix, text in ((".srt", cap.to_srt(words, chars)), (".vtt", cap.to_vtt(words, chars))):
        path = video.with_suffix(suffix)
        tmp = path.with_name(f".tmp-{path.name}")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
        paths.append(path)
    return paths


def estimate(briefing: Briefing, config: PipelineConfig, scenes: int) -> tuple[float, float]:
    """(render seconds, USD) expected for the render after the draft."""
    geo = geometry(briefing, config)
    pixels = geo.width * geo.height / (1280 * 720)
    seconds = 3 + briefing.duration * RENDER_SECONDS_PER_SECOND * pixels
    cost = 0.0
    p = config.prices
    if config.choice("voice").remote:
        cost += briefing.duration * 2.5 * 6 * p.tts_per_mchar / 1e6  # 2.5 words a second, 6 characters each
    if config.choice("art").remote:
        cost += scenes * p.image_each
    return round(seconds, 1), round(cost, 4)


def measure(video: Path) -> tuple[float, tuple[int, int]]:
    """Duration and frame size read back from the written file (moviepy's ffmpeg probe)."""
    from moviepy.video.io.ffmpeg_reader import ffmpeg_parse_infos  # moviepy runs ffmpeg on import

    infos = ffmpeg_parse_infos(str(video))
    width, height = infos["video_size"]
    return float(infos["duration"]), (int(width), int(height))


def _save_canvas(tmp: Path, still: Path, art: Path, item, plan: ScenePlan, geo: Geometry, room) -> None:
    with Image.open(still) as picture, Image.open(art) as background:
        picture_canvas(picture, item, plan, background, geo, room).save(tmp, format="BMP")


def _save_dimmed(tmp: Path, art: Path) -> None:
    with Image.open(art) as background:
        dimmed(background).save(tmp, format="BMP")


def _save_still(tmp: Path, look: Callable[[], object], plan: ScenePlan) -> None:
    made = look()
    compose(made, render_scene(plan, made)).save(tmp, format="BMP")


def _label(plan: ScenePlan) -> str:
    """The contact sheet's line under a keyframe: the scene's main text."""
    if plan.kind == "stat":
        return f"{plan.figure} {plan.unit} {plan.label}".strip()
    if plan.kind == "list":
        return " · ".join(plan.items) or plan.headline
    if plan.kind == "quote":
        return f"“{plan.quote}” {plan.attribution}".strip()
    return plan.headline


def make_draft(
    briefing: Briefing,
    config: PipelineConfig | None = None,
    *,
    progress: ProgressCallback = no_progress,
    cancel: CancelToken | None = None,
    previous: Draft | None = None,
    feedback: str | None = None,
    work_dir: Path | None = None,
    edits: list[SceneEdit] | None = None,
    media: list[MediaItem] | None = None,
) -> Draft:
    """Script, storyboard and a contact sheet of layout keyframes; revises `previous` with feedback
    (or with exact `edits`, see edit_draft). The draft's notes say what the writer left out,
    what feedback it could not apply offline, and where a built-in agent stood in for the model.
    `media` (checked files in the working folder, see pipeline.media.ingest) replaces the
    previous draft's; each goes to a scene (see agents.casting)."""
    config = config or PipelineConfig()
    cancel = cancel or CancelToken()
    report = Reporter(progress, cancel)
    work = WorkDir(work_dir or (previous.work_dir if previous else work_dir_for(briefing, config)))
    be = backends(config)
    try:
        planned = plan_draft(briefing, be.llm, config.fps, report, previous, feedback, edits)
        briefing, script, board = planned.briefing, planned.script, planned.board
        media = list(previous.media if media is None and previous else media or [])
        if edits and previous is not None:  # files taken off a scene and given to none leave
            off = dropped_files(previous.storyboard, edits, board)
            media = [m for m in media if m.key not in off]
        board, cast_notes = assign_media(board, media)
        geo = geometry(briefing, config)
        stock = (
            pick_stock(stock_library(config), briefing, script, board, (geo.width, geo.height), work)
            if (config.choice("art").backend == "stock")
            else None
        )
        if stock is not None:
            board, cast_notes = stock.board, [*cast_notes, *stock.notes]
        shown = [*media, *(stock.items if stock else [])]
        # Keyframes use the procedural art: cheap, and they show layout and palette.
        brand = branding(config)
        preview = ProceduralArt(brand)
        arts = [scene_art(preview, p, briefing.style, geo.canvas, work) for p in board.scenes]
        staged = stage_media(board, arts, shown, geo, work, brand)
        stills = still_paths(board, staged.arts, briefing, geo, work, brand, staged.media)
        kinds, labels = [p.kind for p in board.scenes], [_label(p) for p in board.scenes]
        sheet = work.path("draft", content_key("sheet", 2, [s.name for s in stills], kinds, labels), ".png")
        work.build(sheet, lambda tmp: contact_sheet(stills, kinds, labels, geo, tmp))
        drawn = sum(1 for m in shown_by(board, shown) if m is None or not fills(m, geo))
        seconds, cost = estimate(briefing, config, drawn)
        return Draft(
            briefing=briefing,
            script=script,
            storyboard=board,
            contact_sheet=sheet,
            revision=previous.revision + 1 if previous else 1,
            feedback=feedback,
            usage=planned.usage,
            notes=[*planned.notes, *brand.notes, *cast_notes, *voice_notes(briefing, script, config)],
            omitted=planned.omitted,
            estimated_render_seconds=seconds,
            estimated_cost_usd=cost,
            work_dir=work.root,
            media=media,
            stock=stock.items if stock else [],
            stock_search=stock is not None,
        )
    except Cancelled:
        work.clean_temporaries()
        raise


def edit_draft(
    previous: Draft,
    edits: list[SceneEdit],
    config: PipelineConfig | None = None,
    *,
    progress: ProgressCallback = no_progress,
    cancel: CancelToken | None = None,
) -> Draft:
    """Revision N+1 with exactly the given headline and narration per scene (None: unchanged).

    Unchanged scenes keep their plans and durations, so the render reuses their voice and
    pieces. Raises pipeline.edits.EditError, naming the scene, for edits that cannot be made.
    """
    return make_draft(
        previous.briefing, config, progress=progress, cancel=cancel, previous=previous, edits=edits
    )


class _Linked(CancelToken):
    """Cancelled by its own `cancel()` or by its parent's (the task's)."""

    def __init__(self, parent: CancelToken) -> None:
        super().__init__()
        self.parent = parent

    @property
    def cancelled(self) -> bool:
        return self._event.is_set() or self.parent.cancelled


class _InOrder:
    """Progress of phases that run at once (voice, visuals, editor), passed on in phase order so
    the bar never goes back: a phase's reports wait until the phases before it are done."""

    def __init__(self, report: Reporter, phases: tuple[str, ...]) -> None:
        self._report = report
        self._phases = phases
        self._held: dict[str, list[tuple[float, str]]] = {p: [] for p in phases}
        self._at = 0
        self._lock = threading.Lock()

    def __call__(self, phase: str, fraction: float, message: str) -> None:
        with self._lock:
            if self._phases.index(phase) > self._at:
                self._held[phase].append((fraction, message))
                return
            self._report(phase, fraction, message)

    def steps(self, phase: str, total: int) -> Callable[[int, str], None]:
        return lambda i, message: self(phase, i / max(total, 1), message)

    def drop(self, phase: str) -> None:
        """Forget what `phase` reported while it waited."""
        with self._lock:
            self._held[phase].clear()

    def done(self, phase: str) -> None:
        """`phase` is over: pass on what the next one reported meanwhile."""
        with self._lock:
            self._at = max(self._at, self._phases.index(phase) + 1)
            if self._at < len(self._phases):
                nxt = self._phases[self._at]
                for fraction, message in self._held[nxt]:
                    self._report(nxt, fraction, message)
                self._held[nxt].clear()


@dataclass
class _Job:
    """What one render's phases share: made once (the brand kit's files are read here)."""

    draft: Draft
    config: PipelineConfig
    geo: Geometry
    brand: Branding
    work: WorkDir
    report: _InOrder
    timings: dict[str, float]


def _encoding_progress(report: Callable[[str, float, str], None]) -> Callable[[float], None]:
    last = [0.0]

    def on_fraction(f: float) -> None:
        # Every 10% boundary the frames crossed is reported, even when a fast piece
        # jumps past several between ffmpeg's progress ticks; finer steps every 2%.
        marks = [k / 10 for k in range(1, 11) if last[0] < k / 10 <= f]
        if f - last[0] >= 0.02 and (not marks or marks[-1] < f):
            marks.append(f)
        for mark in marks:
            report("editor", mark, f"Encoding the video: {mark:.0%}")
        if marks:
            last[0] = marks[-1]

    return on_fraction


def render(
    draft: Draft,
    config: PipelineConfig | None = None,
    *,
    progress: ProgressCallback = no_progress,
    cancel: CancelToken | None = None,
    out: Path | None = None,
) -> RenderResult:
    """Voice, visuals and edit the approved draft into an MP4; finished phases are reused.

    The scenes keep the draft's durations (or the last render's) while each narration fits
    its scene, so a scene's piece is encoded as soon as it is voiced, while the later scenes
    are voiced. A narration that does not fit stops that, and the scenes are re-timed to the
    narration (`narrate`) and encoded again.
    """
    config = config or PipelineConfig()
    cancel = cancel or CancelToken()
    report = _InOrder(Reporter(progress, cancel), ("voice", "visuals", "editor"))
    briefing = draft.briefing
    work = WorkDir(draft.work_dir)
    be = backends(config)
    geo = geometry(briefing, config)
    brand = branding(config)
    voice = pronounced(be.voice, config.brand.pronounce if config.brand else None)
    timings: dict[str, float] = {}
    job = _Job(draft, config, geo, brand, work, report, timings)
    n = len(draft.script.scenes)
    began = time.monotonic()
    pending = work.path("final", f"render-{uuid.uuid4().hex[:12]}", ".mp4")
    target = out or pending
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        report("voice", 0, "Recording the narration")

        def draw() -> Staged:
            staged = _scene_arts(draft, be.art, geo, work, brand, cancel, report.steps("visuals", n))
            timings["visuals"] = time.monotonic() - began
            return staged

        # The art is drawn while the scenes are voiced (it is cached from the draft when
        # procedural; a remote image service takes seconds a scene).
        with ThreadPoolExecutor(1, thread_name_prefix="art") as drawing:
            arts = drawing.submit(draw)
            given = given_timing(work, draft.script, draft.storyboard)
            made = None
            if given is not None:
                made = _render_voicing(job, voice, arts, given, target, cancel)
            if made is None:
                report.drop("editor")  # what the scenes encoded with their given durations reported
                made = _render_timed(job, voice, arts, target, cancel)
        editor, board, voices, visuals = made
        if out is None:
            shown = [
                (v.background.name, [x.key() for x in v.layers], v.clip.id() if v.clip else None)
                for v in visuals
            ]
            target = work.path("final", content_key("video", shown, board), ".mp4")
            pending.replace(target)
        subtitles = write_captions(board, voices, geo, target, brand.captions.scale)
        report("editor", 1, "Video ready")
    except Cancelled:
        work.clean_temporaries()
        raise
    usage: list[Usage] = list(draft.usage) + [s.usage for s in be.usage_sources]
    duration, (width, height) = measure(target)
    return RenderResult(
        path=target,
        duration=duration,
        width=width,
        height=height,
        size_bytes=target.stat().st_size,
        cost_usd=round(sum(u.cost_usd for u in usage), 4),
        timings={k: round(v, 3) for k, v in timings.items()},
        usage=usage,
        scenes_rendered=editor.rendered,
        scenes_reused=editor.reused,
        captions=subtitles,
        notes=[*brand.notes, *be.notes],  # what the video lacks of its kit, and stand-ins
        credits=[m.credit for m in shown_by(board, draft.stock) if m is not None and m.credit],
    )


def _scene_arts(
    draft: Draft, art: ArtEngine, geo: Geometry, work: WorkDir, brand: Branding, cancel: CancelToken, step
) -> Staged:
    """Each scene's background with its own picture or clip composed in."""
    board = draft.storyboard
    # A scene that its own picture or clip fills needs no generated (maybe paid-for) art.
    filled = [m is not None and fills(m, geo) for m in shown_by(board, draft.shown)]
    wanted = [p for p, f in zip(board.scenes, filled, strict=True) if not f]
    drawn = iter(draw_scenes(art, wanted, draft.briefing.style, geo.canvas, work, cancel, step))
    cheap = ProceduralArt(brand)
    arts = [
        scene_art(cheap, p, draft.briefing.style, geo.canvas, work) if f else next(drawn)
        for p, f in zip(board.scenes, filled, strict=True)
    ]
    return stage_media(board, arts, draft.shown, geo, work, brand)


def _edit(job: _Job, board: Storyboard, scenes: Scenes, target: Path, cancel: CancelToken) -> Editor:
    """Encode the scenes (as they become ready) into `target`; its time is timings["editor"]."""
    began = time.monotonic()
    config, brand = job.config, job.brand
    editor = Editor(job.work, job.geo, config.fps, config.render_workers, cancel)
    job.report("editor", 0, "Encoding the video")
    editor.render(
        job.draft.briefing,
        board,
        scenes,
        config.music,
        brand.show_captions,
        target,
        _encoding_progress(job.report),
        look=brand.captions,
        face=brand.face,
        watermark=_watermark(brand, board, job.geo, job.work),
    )
    job.timings["editor"] = time.monotonic() - began
    return editor


def _render_voicing(
    job: _Job,
    voice: VoiceEngine,
    arts: Future[Staged],
    durations: list[float],
    target: Path,
    cancel: CancelToken,
):
    """Encode each scene while the later ones are voiced, with the scenes' given durations;
    None when a narration does not fit them (or the voice fell back mid-way)."""
    draft, report, work = job.draft, job.report, job.work
    given = zip(draft.storyboard.scenes, durations, strict=True)
    board = Storyboard(scenes=[p.model_copy(update={"duration": d}) for p, d in given])
    n = len(board.scenes)
    scenes = Scenes(n)
    # Stops the pieces' ffmpeg runs and the voicing, when the other side fails.
    stop = _Linked(cancel)
    voices: list[SceneVoice] = []
    visuals: list[SceneVisual] = []
    failed: list[BaseException] = []
    began = time.monotonic()

    def voicing() -> None:
        try:
            for i, spoken in enumerate(
                voice_in_order(draft.script, voice, work, durations, stop, report.steps("voice", n))
            ):
                staged = arts.result()
                visual = scene_visuals(
                    Storyboard(scenes=[board.scenes[i]]),
                    [staged.arts[i]],
                    [spoken],
                    draft.briefing,
                    job.geo,
                    work,
                    job.brand,
                    [staged.media[i]],
                )[0]
                voices.append(spoken)
                visuals.append(visual)
                scenes.put(i, visual, spoken)
            job.timings["voice"] = time.monotonic() - began
            report.done("voice")
            report.done("visuals")
        except BaseException as exc:
            failed.append(exc)
            stop.cancel()
            scenes.fail()

    narrator = threading.Thread(target=voicing, name="narrator", daemon=True)
    narrator.start()
    try:
        editor = _edit(job, board, scenes, target, stop)
    except BaseException:
        stop.cancel()
        narrator.join()
        if cancel.cancelled:
            raise Cancelled() from None
        if failed and isinstance(failed[0], Refit):
            return None
        if failed and not isinstance(failed[0], Cancelled):
            raise failed[0] from None
        raise
    narrator.join()
    return editor, board, voices, visuals


def _render_timed(job: _Job, voice: VoiceEngine, arts: Future[Staged], target: Path, cancel: CancelToken):
    """Voice every scene, re-time the scenes to their narration, then encode."""
    draft, report, briefing = job.draft, job.report, job.draft.briefing
    t = time.monotonic()
    steps = report.steps("voice", len(draft.script.scenes))
    script, plan = draft.script, draft.storyboard
    voices, board = narrate(script, plan, voice, job.work, briefing.duration, job.config.fps, cancel, steps)
    job.timings["voice"] = job.timings.get("voice", 0.0) + time.monotonic() - t
    staged = arts.result()
    visuals = scene_visuals(board, staged.arts, voices, briefing, job.geo, job.work, job.brand, staged.media)
    report.done("voice")
    report.done("visuals")
    editor = _edit(job, board, Scenes.of(visuals, voices), target, cancel)
    return editor, board, voices, visuals
