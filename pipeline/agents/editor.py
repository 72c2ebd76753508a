"""Editor: backgrounds, text layers, captions and audio become the MP4, each frame encoded once.

The timeline is cut into one piece per scene, ending with the crossfade into the next
scene. Each piece is one small ffmpeg run (crop pan + the scene's text layers entering
by time expressions + xfade + libass captions + x264), cached under the hash of
everything it shows, and the pieces are joined without re-encoding. A re-run reuses
every piece whose content did not change.
"""

from __future__ import annotations

import shutil
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from pipeline.agents.narrator import LEAD_IN
from pipeline.briefing import Briefing
from pipeline.cache import WorkDir, content_key
from pipeline.models import SceneVoice, Storyboard, WordTiming
from pipeline.progress import CancelToken
from pipeline.render import captions as cap
from pipeline.render.audio import mix, read_wav, write_wav
from pipeline.render.ffmpeg import run_ffmpeg
from pipeline.render.media import ClipSource
from pipeline.render.motion import Placed, layer_filters
from pipeline.render.music import music_bed
from pipeline.render.stills import Geometry, font_path

ENCODER = [
    "-c:v",
    "libx264",
    "-preset",
    "veryfast",
    "-crf",
    "21",
    "-pix_fmt",
    "yuv420p",
    "-profile:v",
    "high",
    "-video_track_timescale",
    "15360",
    "-an",
]
ENCODER_VERSION = "x264-vf-21-4"
AUDIO_ENCODER = ["-c:a", "aac", "-b:a", "160k", "-ar", "48000", "-ac", "2"]
# Two x264 threads per piece with two pieces at once was the fastest mix measured on 2 cores.
ENCODER_THREADS = "2"
# Start/end points of the pan as fractions of the slack, varied per scene.
PANS = [
    ((0, 0), (1, 1)),
    ((1, 0), (0, 1)),
    ((0.5, 1), (0.5, 0)),
    ((0, 0.5), (1, 0.5)),
    ((1, 1), (0, 0)),
    ((0, 1), (1, 0)),
]


@dataclass(frozen=True)
class Piece:
    """Frames [a, b) of the timeline: scene `scenes[0]`, crossfading into `scenes[1]` at the end."""

    a: int
    b: int
    scenes: tuple[int, ...]
    transition: str = ""
    fade: int = 0  # frames of crossfade at the end of the piece

    @property
    def frames(self) -> int:
        return self.b - self.a


@dataclass(frozen=True)
class Watermark:
    """A brand's corner logo, over every scene but those in `hidden` (title and closing, which
    show the logo itself); it fades in and out with the crossfades around them."""

    image: Path
    x: int
    y: int
    hidden: frozenset[int] = frozenset()


@dataclass(frozen=True)
class SceneVisual:
    """What a scene shows: its background (canvas size, panned), its text layers, and the
    team's own clip playing over (or instead of) the background."""

    background: Path
    layers: tuple[Placed, ...] = ()
    clip: ClipSource | None = None


class Abandoned(Exception):
    """The scenes a piece waits for will not come (their narration failed or must be re-timed)."""


class Scenes:
    """Each scene's picture and narration, handed over as they become ready.

    A piece waits only for the scenes it shows, so encoding starts while later scenes are
    still being voiced; `fail` releases every waiting piece.
    """

    def __init__(self, count: int) -> None:
        self._items: list[tuple[SceneVisual, SceneVoice] | None] = [None] * count
        self._ready = threading.Condition()
        self._failed = False

    @classmethod
    def of(cls, visuals: list[SceneVisual], voices: list[SceneVoice]) -> Scenes:
        """Scenes that are all ready."""
        scenes = cls(len(visuals))
        for i, pair in enumerate(zip(visuals, voices, strict=True)):
            scenes.put(i, *pair)
        return scenes

    def __len__(self) -> int:
        return len(self._items)

    def put(self, i: int, visual: SceneVisual, voice: SceneVoice) -> None:
        with self._ready:
            self._items[i] = (visual, voice)
            self._ready.notify_all()

    def fail(self) -> None:
        with self._ready:
            self._failed = True
            self._ready.notify_all()

    def get(self, i: int, cancel: CancelToken) -> tuple[SceneVisual, SceneVoice]:
        """Scene i, once it is ready."""
        with self._ready:
            while (item := self._items[i]) is None:
                if self._failed:
                    raise Abandoned()
                cancel.check()
                self._ready.wait(0.1)
            return item


def transition_frames(fps: int) -> int:
    return max(2, round(fps * 0.5) // 2 * 2)


def scene_bounds(board: Storyboard, fps: int) -> list[int]:
    """Each scene's first frame, and the end of the last."""
    bounds = [0]
    for s in board.scenes:
        bounds.append(bounds[-1] + round(s.duration * fps))
    return bounds


def plan_pieces(board: Storyboard, fps: int) -> tuple[list[Piece], list[tuple[int, int]]]:
    """One piece per scene, and each scene's visible span in frames (including its crossfades)."""
    bounds = scene_bounds(board, fps)
    fade = transition_frames(fps)
    half = fade // 2
    n = len(board.scenes)
    pieces: list[Piece] = []
    spans: list[tuple[int, int]] = []
    for i in range(n):
        a = bounds[i] + (half if i else 0)
        if i < n - 1:
            pieces.append(Piece(a, bounds[i + 1] + half, (i, i + 1), board.scenes[i].transition, fade))
        else:
            pieces.append(Piece(a, bounds[i + 1], (i,)))
        spans.append((max(0, bounds[i] - half), min(bounds[-1], bounds[i + 1] + half)))
    return pieces, spans


def timeline_words(board: Storyboard, voices: list[SceneVoice]) -> list[WordTiming]:
    out = []
    for start, voice in zip(board.starts, voices, strict=True):
        t0 = start + LEAD_IN
        out += [WordTiming(word=w.word, start=t0 + w.start, end=t0 + w.end) for w in voice.words]
    return out


class Editor:
    """Renders one storyboard's pieces and joins them with the mixed audio."""

    def __init__(self, work: WorkDir, geo: Geometry, fps: int, workers: int, cancel: CancelToken) -> None:
        self.work = work
        self.geo = geo
        self.fps = fps
        self.workers = max(1, workers)
        self.cancel = cancel
        self.rendered = 0
        self.reused = 0
        self.look = cap.CaptionLook()
        self.watermark: Watermark | None = None

    def _crop(self, scene: int, span: tuple[int, int], piece_a: int) -> str:
        dx, dy = self.geo.slack
        (fx0, fy0), (fx1, fy1) = PANS[scene % len(PANS)]
        x0, y0, x1, y1 = fx0 * dx, fy0 * dy, fx1 * dx, fy1 * dy
        # Position along the pan from the frame number, relative to the scene's span.
        length = max(1, span[1] - span[0] - 1)
        u = f"((n+{piece_a - span[0]})/{length})"
        w, h = self.geo.width, self.geo.height
        return f"crop={w}:{h}:'{x0:.1f}+({x1 - x0:.1f})*{u}':'{y0:.1f}+({y1 - y0:.1f})*{u}'"

    def _source(
        self, k: int, scene: int, span: tuple[int, int], first: int, frames: int, piece_a: int
    ) -> str:
        # A bounded loop: an endless one would be generated ahead while xfade waits for it.
        # Timestamps start where the source enters the piece, as xfade matches by time.
        # The still is converted to 4:2:0 once, before the loop: cropping a 4:2:0 frame only
        # moves pointers (exact=1 keeps the pan's one-pixel steps), where converting each
        # cropped RGB frame cost as much as x264 itself.
        return (
            f"[{k}:v]format=yuv420p,loop=loop={frames - 1}:size=1:start=0,"
            f"setpts=(N+{first - piece_a})/{self.fps}/TB,{self._crop(scene, span, first)}:exact=1,setsar=1"
        )

    def _clip(
        self, k: int, clip: ClipSource, span: tuple[int, int], first: int, frames: int, piece_a: int
    ) -> str:
        """The clip's frames for this piece: its time 0 at the scene's span start, at the
        video's rate, muted (only its video is read), cover-scaled or fitted to its box."""
        w, h = (self.geo.width, self.geo.height) if clip.box is None else (clip.box.w, clip.box.h)
        off = first - span[0]
        fit = (
            f"scale={w}:{h}:force_original_aspect_ratio=increase:flags=bilinear,crop={w}:{h}"
            if clip.box is None
            else f"scale={w}:{h}:flags=bilinear"
        )
        return (
            f"[{k}:v]fps={self.fps},trim=start_frame={off}:end_frame={off + frames},"
            f"setpts=(N+{first - piece_a})/{self.fps}/TB,{fit},setsar=1"
        )

    def _scene_inputs(self, visual: SceneVisual, n: int, scene: int, span, first, frames, piece_a, out):
        """(ffmpeg inputs, filter chains) drawing one scene's picture into `[out]`; inputs from `n`."""
        bg = ["-framerate", str(self.fps), "-i", str(visual.background.relative_to(self.work.root))]
        clip = visual.clip
        if clip is None:
            return bg, [self._source(n, scene, span, first, frames, piece_a) + f",format=yuv420p[{out}]"]
        need = (first - span[0] + frames) / self.fps
        # A clip shorter than the scene loops (its timestamps run on across the loops).
        loop = ["-stream_loop", "-1"] if clip.duration < need + 0.1 else []
        src = [*loop, "-i", str(clip.file.relative_to(self.work.root))]
        if clip.box is None:
            return src, [self._clip(n, clip, span, first, frames, piece_a) + f",format=yuv420p[{out}]"]
        b = clip.box
        return [*bg, *src], [
            self._source(n, scene, span, first, frames, piece_a) + f"[{out}b]",
            self._clip(n + 1, clip, span, first, frames, piece_a) + f"[{out}c]",
            f"[{out}b][{out}c]overlay=x={b.x}:y={b.y}:eof_action=repeat,format=yuv420p[{out}]",
        ]

    def render_piece(
        self, piece: Piece, board: Storyboard, scenes: Scenes, bounds, spans, captions: bool, on_frame
    ) -> Path:
        """Encode one piece (once its scenes are ready), or find it already encoded."""
        fps = self.fps
        t0 = piece.a / fps
        # Captions never span scenes (a page breaks at the pause between them), so the words
        # up to the piece's last scene give the same pages as the whole timeline's.
        upto = piece.scenes[-1] + 1
        ready = [scenes.get(i, self.cancel) for i in range(upto)]
        visuals = [visual for visual, _ in ready]
        states = []
        if captions:
            words = timeline_words(Storyboard(scenes=board.scenes[:upto]), [voice for _, voice in ready])
            states = cap.captions(words, cap.layout(self.geo.width, self.geo.height, self.look.scale)[2])
        window = [s for s in states if s.end > t0 and s.start < piece.b / fps]
        ass = cap.to_ass(window, self.geo.width, self.geo.height, offset=t0, look=self.look) if window else ""
        rel_spans = [(spans[i][0] - piece.a, spans[i][1] - piece.a) for i in piece.scenes]
        own = piece.scenes[0]
        # Layer times are scene times; the piece may start inside the scene (after a crossfade).
        shift = (bounds[own] - piece.a) / fps
        layers = visuals[own].layers
        mark = self._mark(piece)
        key = content_key(
            "piece",
            ENCODER_VERSION,
            fps,
            self.geo.width,
            self.geo.height,
            [visuals[i].background.name for i in piece.scenes],
            [visuals[i].clip.id() if visuals[i].clip else None for i in piece.scenes],
            [layer.key() for layer in layers],
            round(shift, 4),
            rel_spans,
            [i % len(PANS) for i in piece.scenes],
            piece.frames,
            piece.transition,
            ass,
            *([mark] if mark else []),
        )
        out = self.work.path("pieces", key, ".mp4")
        if out.exists():
            self.reused += 1
            on_frame(piece.frames)
            return out
        inputs: list[str] = []
        graph: list[str] = []
        for k, i in enumerate(piece.scenes):
            # xfade starts reading the second scene where the fade begins.
            first, count = (piece.a, piece.frames) if k == 0 else (piece.b - piece.fade, piece.fade)
            more, chains = self._scene_inputs(
                visuals[i], inputs.count("-i"), i, spans[i], first, count, piece.a, f"s{k}"
            )
            inputs += more
            graph += chains
        last = "s0"
        for j, layer in enumerate(layers):
            k = inputs.count("-i")
            inputs += ["-i", str(layer.image.relative_to(self.work.root))]
            graph += layer_filters(k, layer, shift, piece.frames, fps, last, f"o{j}")
            last = f"o{j}"
        if len(piece.scenes) == 2:
            graph += self._crossfade(piece, last)
            last = "m"
        if mark and self.watermark is not None:
            # Over the crossfade, not under it: the corner logo stays put while scenes change.
            k = inputs.count("-i")
            inputs += ["-i", str(self.watermark.image.relative_to(self.work.root))]
            chain = f"[{k}:v]format=yuva420p,loop=loop={piece.frames - 1}:size=1:start=0,setpts=N/{fps}/TB"
            at, fade = (piece.frames - piece.fade) / fps, max(piece.fade, 1) / fps
            if mark[3] != mark[4]:
                chain += f",fade=t={'in' if mark[4] else 'out'}:st={at:.4f}:d={fade:.4f}:alpha=1"
            graph += [f"{chain}[wm]", f"[{last}][wm]overlay=x={mark[1]}:y={mark[2]}[w]"]
            last = "w"
        tail = "format=yuv420p"
        if ass:
            sub = self.work.path("captions", key, ".ass")
            with self.work.writing(sub) as tmp_sub:
                tmp_sub.write_text(ass, encoding="utf-8")
            tail = f"ass={sub.relative_to(self.work.root)}:fontsdir=fonts,{tail}"
        graph.append(f"[{last}]{tail}[v]")
        with self.work.writing(out) as tmp:
            self._encode(inputs, graph, piece.frames, tmp.relative_to(self.work.root), on_frame)
        self.rendered += 1
        return out

    def _crossfade(self, piece: Piece, last: str) -> list[str]:
        """Filters crossfading `[last]` into `[s1]` over the piece's last frames, as `[m]`.

        xfade takes 4:4:4 frames only, so ffmpeg would convert every frame it sees there and
        back: only the crossfade's frames go through it, and concat joins them to the rest.
        """
        fade = f"xfade=transition={piece.transition}:duration={piece.fade / self.fps:.4f}"
        start = piece.frames - piece.fade
        if start <= 0:
            return [f"[{last}][s1]{fade}:offset=0,format=yuv420p[m]"]
        return [
            f"[{last}]split[h][t]",
            f"[h]trim=end_frame={start}[h2]",
            f"[t]trim=start_frame={start},setpts=PTS-STARTPTS[t2]",
            f"[t2][s1]{fade}:offset=0,format=yuv420p[x]",
            "[h2][x]concat=n=2:v=1:a=0[m]",
        ]

    def _mark(self, piece: Piece) -> tuple | None:
        """(image, x, y, shown at the start, shown at the end) of the watermark in this piece."""
        wm = self.watermark
        if wm is None:
            return None
        own = piece.scenes[0] not in wm.hidden
        nxt = piece.scenes[-1] not in wm.hidden
        return (wm.image.name, wm.x, wm.y, own, nxt) if own or nxt else None

    def _encode(self, inputs: list[str], graph: list[str], frames: int, tmp: Path, on_frame) -> None:
        fps = self.fps
        args = [
            *inputs,
            "-filter_complex",
            ";".join(graph),
            "-map",
            "[v]",
            "-frames:v",
            str(frames),
            "-r",
            str(fps),
            "-g",
            str(fps * 2),
            *ENCODER,
            "-threads",
            ENCODER_THREADS,
            str(tmp),
        ]
        # Relative paths inside the working folder keep ffmpeg's filter arguments free of escaping.
        run_ffmpeg(args, cancel=self.cancel, on_frame=on_frame, cwd=self.work.root)

    def render(
        self,
        briefing: Briefing,
        board: Storyboard,
        scenes: Scenes,
        music: bool,
        show_captions: bool,
        out: Path,
        on_fraction,
        *,
        look: cap.CaptionLook | None = None,
        face: Path | None = None,
        watermark: Watermark | None = None,
    ) -> None:
        """Write the final MP4 to `out`; `on_fraction(f)` reports encoding progress. Pieces start
        as their scenes become ready (see Scenes). A brand gives the captions' `look` (its font
        file `face` goes to libass) and a `watermark`."""
        self.look, self.watermark = look or cap.CaptionLook(), watermark
        fonts = self.work.root / "fonts"
        fonts.mkdir(exist_ok=True)
        for source in (font_path(), face):
            if source is not None and not (fonts / source.name).exists():
                shutil.copy(source, fonts / source.name)
        pieces, spans = plan_pieces(board, self.fps)
        bounds = scene_bounds(board, self.fps)
        total = sum(p.frames for p in pieces)
        done = [0]
        lock = threading.Lock()

        def on_frame(n: int) -> None:
            with lock:
                done[0] += n
                frac = done[0] / total
            on_fraction(min(frac, 1.0))

        # The mix starts once every scene is voiced, beside the pieces (its own thread: it
        # must not wait behind them, nor hold a piece's place while it waits for the voice).
        with ThreadPoolExecutor(1, thread_name_prefix="mix") as mixer:
            mixing = mixer.submit(self._mix, briefing, board, scenes, music)
            with ThreadPoolExecutor(self.workers) as pool:
                # On a failure the other pieces still finish: they are cached for the retry.
                futures = [
                    pool.submit(self.render_piece, p, board, scenes, bounds, spans, show_captions, on_frame)
                    for p in pieces
                ]
                paths = [f.result() for f in futures]
            audio = mixing.result()
        listing = self.work.path("final", content_key("list", [p.name for p in paths]), ".txt")
        listing.write_text("".join(f"file '../pieces/{p.name}'\n" for p in paths))
        with self.work.writing(out) as tmp:
            run_ffmpeg(
                [
                    "-f",
                    "concat",
                    "-safe",
                    "0",
                    "-i",
                    listing,
                    "-i",
                    audio,
                    "-map",
                    "0:v:0",
                    "-map",
                    "1:a:0",
                    "-c",
                    "copy",
                    "-t",
                    f"{briefing.duration:.3f}",
                    "-movflags",
                    "+faststart",
                    tmp,
                ],
                cancel=self.cancel,
                what="Joining the video",
            )

    def _mix(self, briefing: Briefing, board: Storyboard, scenes: Scenes, music: bool) -> Path:
        """The narration over the music bed, encoded to AAC while the pieces encode (so the
        join only copies streams)."""
        voices = [scenes.get(i, self.cancel)[1] for i in range(len(scenes))]
        key = content_key(
            "mix",
            [(round(s, 3), v.audio.name) for s, v in zip(board.starts, voices, strict=True)],
            briefing.duration,
            briefing.tone if music else None,
        )
        path = self.work.path("audio", key, ".wav")
        if not path.exists():
            clips, rate = [], 22050
            for start, voice in zip(board.starts, voices, strict=True):
                samples, rate = read_wav(voice.audio)
                clips.append((start + LEAD_IN, samples))
            bed = music_bed(briefing.tone, briefing.duration, rate) if music else None
            with self.work.writing(path) as tmp:
                write_wav(tmp, mix(clips, bed, briefing.duration, rate), rate)
        encoded = path.with_suffix(".m4a")
        if not encoded.exists():
            with self.work.writing(encoded) as tmp:
                args = ["-i", path, *AUDIO_ENCODER, "-f", "mp4", tmp]
                run_ffmpeg(args, cancel=self.cancel, what="The audio encoder")
        return encoded
