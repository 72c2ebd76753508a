"""Offline render benchmark: wall time, realtime factor, peak RSS, ratio to an ffmpeg-only baseline.

Run: python bench/render.py            (60 s at 720p and 1080p, then 180 s at 1080p for memory)
     python bench/render.py --quick    (60 s at 720p only)
     python bench/render.py --one 180 1080
     python bench/render.py --clips    (60 s at 720p with six 1080p clips of the team's own)
     python bench/render.py --whole    (a whole `oma render` of 60 s at 720p, from outside)
     --repeat N                        (each case N times, interleaved with its baseline; medians)

The in-process cases time make_draft + render. Their baseline is one ffmpeg run joining the
same scene stills with an xfade chain and the same audio mix, with the same encoder
settings: what a hand-written ffmpeg script would do, without motion or captions.

--whole times the `oma render` command as a user runs it (Python start, imports, the voice
model's load, draft, render) against a plain xfade chain of six stills with a sine track
(x264 veryfast), as issue #14 measures it.

The machine may be shared: every line carries the load average at its start, and the ratio
to the baseline run beside it is the figure to compare across machines and hours. The CPU
seconds (this process and the ffmpeg runs it waited for) move less with the load than wall
time does, so their ratio to the baseline's is printed too.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import yaml

from pipeline import Briefing, PipelineConfig, make_draft, render
from pipeline.agents.art_director import ProceduralArt, scene_art
from pipeline.agents.editor import ENCODER, transition_frames
from pipeline.cache import WorkDir
from pipeline.media import ingest
from pipeline.render.ffmpeg import run_ffmpeg
from pipeline.run import geometry, still_paths, work_dir_for

DESCRIPTION = (
    "Nimbus keeps every file your team touches in sync, across laptops, phones and the office "
    "server. It works offline, resolves conflicts for you, and encrypts everything end to end. "
    "Setup takes two minutes and needs no IT ticket. Teams that switched report an hour saved "
    "per person every week. Try it free for thirty days."
)


class TreeRSS:
    """Samples the resident memory of this process and all its descendants from /proc."""

    def __init__(self, interval: float = 0.05) -> None:
        self.interval = interval
        self.peak_total = 0.0
        self.peak_self = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> TreeRSS:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    @staticmethod
    def _rss_mb(pid: int) -> float:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        except OSError:
            pass
        return 0.0

    @staticmethod
    def _children(pid: int) -> list[int]:
        out: list[int] = []
        try:
            tasks = list(Path(f"/proc/{pid}/task").iterdir())
        except OSError:  # the process ended between two samples
            return out
        for task in tasks:
            try:
                out += [int(c) for c in (task / "children").read_text().split()]
            except OSError:
                continue
        return out

    def _run(self) -> None:
        me = os.getpid()
        while not self._stop.wait(self.interval):
            own = self._rss_mb(me)
            total, todo = own, self._children(me)
            while todo:
                pid = todo.pop()
                total += self._rss_mb(pid)
                todo += self._children(pid)
            self.peak_self = max(self.peak_self, own)
            self.peak_total = max(self.peak_total, total)


def baseline(stills: list[Path], durations: list[float], audio: Path, fps: int, size, out: Path) -> float:
    """Seconds for ffmpeg alone to xfade the stills with the same audio and encoder."""
    w, h = size
    args: list[str] = []
    t = transition_frames(fps) / fps
    for still, d in zip(stills, durations, strict=True):
        args += ["-loop", "1", "-framerate", str(fps), "-t", f"{d + t:.3f}", "-i", str(still)]
    args += ["-i", str(audio)]
    graph = [f"[{i}:v]scale={w}:{h},setsar=1,format=yuv420p[v{i}]" for i in range(len(stills))]
    prev, offset = "v0", 0.0
    for i in range(1, len(stills)):
        offset += durations[i - 1]
        graph.append(
            f"[{prev}][v{i}]xfade=transition=fade:duration={t:.3f}:offset={offset - t / 2:.3f}[x{i}]"
        )
        prev = f"x{i}"
    total = sum(durations)
    args += ["-filter_complex", ";".join(graph), "-map", f"[{prev}]", "-map", f"{len(stills)}:a"]
    args += [a for a in ENCODER if a != "-an"]
    args += ["-c:a", "aac", "-b:a", "160k", "-ac", "2", "-t", f"{total:.3f}"]
    args += ["-movflags", "+faststart", str(out)]
    start = time.monotonic()
    run_ffmpeg(args)
    return time.monotonic() - start


def sine_baseline(stills: list[Path], seconds: float, fps: int, size, out: Path) -> float:
    """Seconds for ffmpeg to xfade six stills over `seconds` with a sine track (x264 veryfast)."""
    w, h = size
    t = transition_frames(fps) / fps
    each = seconds / len(stills)
    args: list[str] = []
    for still in stills:
        args += ["-loop", "1", "-framerate", str(fps), "-t", f"{each + t:.3f}", "-i", str(still)]
    args += ["-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:duration={seconds}"]
    graph = [f"[{i}:v]scale={w}:{h},setsar=1,format=yuv420p[v{i}]" for i in range(len(stills))]
    prev = "v0"
    for i in range(1, len(stills)):
        graph.append(
            f"[{prev}][v{i}]xfade=transition=fade:duration={t:.3f}:offset={i * each - t / 2:.3f}[x{i}]"
        )
        prev = f"x{i}"
    args += ["-filter_complex", ";".join(graph), "-map", f"[{prev}]", "-map", f"{len(stills)}:a"]
    args += [a for a in ENCODER if a != "-an"]
    args += ["-c:a", "aac", "-b:a", "160k", "-t", f"{seconds:.3f}", "-movflags", "+faststart", str(out)]
    start = time.monotonic()
    run_ffmpeg(args)
    return time.monotonic() - start


def cpu_seconds() -> float:
    """CPU time (user + system) of this process and of every child it waited for."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def load() -> str:
    """The 1-minute load average, to print beside every figure (the machine may be shared)."""
    return f"load {os.getloadavg()[0]:.1f}"


def make_clips(root: Path, count: int = 6, seconds: int = 8) -> list[Path]:
    """`count` different 1080p30 clips (a moving test pattern from different start times)."""
    out = []
    for k in range(count):
        path = root / f"clip{k}.mp4"
        src = f"testsrc2=size=1920x1080:rate=30,trim=start={k * 3},setpts=PTS-STARTPTS"
        run_ffmpeg(
            [
                *("-f", "lavfi", "-i", src, "-t", str(seconds)),
                *("-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(path)),
            ]
        )
        out.append(path)
    return out


def one(duration: int, height: int, root: Path, clips: list[Path] | None = None) -> dict[str, float]:
    """Render once in this process; print and return the figures."""
    briefing = Briefing(
        title="Meet Nimbus", description=DESCRIPTION, duration=duration, style="modern", tone="friendly"
    )
    run = f"{duration}-{height}{'-clips' if clips else ''}-{time.monotonic_ns()}"
    config = PipelineConfig(work_dir=root / f"w{run}", height=height)
    media = []
    if clips:
        media, problems = ingest([(p.name, p) for p in clips], WorkDir(work_dir_for(briefing, config)))
        assert not problems, problems
    at = load()
    cpu = cpu_seconds()
    with TreeRSS() as mem:
        start = time.monotonic()
        draft = make_draft(briefing, config, media=media)
        if clips:
            shown = sum(1 for p in draft.storyboard.scenes if p.media)
            print(f"{len(media)} clips, {shown} shown in {len(draft.storyboard.scenes)} scenes")
        draft_s = time.monotonic() - start
        result = render(draft, config, out=root / f"oma-{run}.mp4")
        wall = time.monotonic() - start
    cpu = cpu_seconds() - cpu
    # The same stills and mix the render used, found in its cache.
    work = WorkDir(draft.work_dir)
    geo = geometry(briefing, config)
    arts = [scene_art(ProceduralArt(), p, briefing.style, geo.canvas, work) for p in draft.storyboard.scenes]
    stills = still_paths(draft.storyboard, arts, briefing, geo, work)
    audio = max((work.root / "audio").glob("*.wav"), key=lambda p: p.stat().st_mtime)
    durations = [s.duration for s in draft.storyboard.scenes]
    base_cpu = cpu_seconds()
    base = baseline(stills, durations, audio, config.fps, (result.width, result.height), root / "base.mp4")
    base_cpu = cpu_seconds() - base_cpu
    print(
        f"{duration:>4} s {result.width}x{result.height}: wall {wall:6.2f} s "
        f"(draft {draft_s:.2f}, voice {result.timings['voice']:.2f}, "
        f"visuals {result.timings['visuals']:.2f}, editor {result.timings['editor']:.2f}) | "
        f"realtime x{wall / duration:.3f} | baseline {base:6.2f} s, ratio x{wall / base:.2f} | "
        f"CPU {cpu:.1f} s vs baseline's {base_cpu:.1f} s, x{cpu / base_cpu:.2f} | "
        f"peak RSS {mem.peak_self:.0f} MB (with ffmpeg children {mem.peak_total:.0f} MB) | {at}"
    )
    sys.stdout.flush()
    shutil.rmtree(config.work_dir, ignore_errors=True)
    figures = {"wall": wall, "realtime": wall / duration, "ratio": wall / base, "cpu": cpu / base_cpu}
    return {**figures, "rss": mem.peak_self}


def whole(duration: int, height: int, root: Path) -> dict[str, float]:
    """A whole `oma render` from outside (fresh working folder), then the six-still baseline."""
    run = root / f"whole-{time.monotonic_ns()}"
    run.mkdir()
    briefing = {
        "title": "Meet Nimbus",
        "description": DESCRIPTION,
        "duration": duration,
        "style": "modern",
        "tone": "friendly",
    }
    (run / "briefing.yaml").write_text(yaml.safe_dump(briefing))
    env = {**os.environ, "OMA_WORK_DIR": str(run / "work")}
    env = {k: v for k, v in env.items() if not k.startswith(("OPENAI_", "OMA_TEXT", "OMA_VOICE", "OMA_ART"))}
    oma = Path(sys.executable).with_name("oma")
    at = load()
    cpu = cpu_seconds()
    start = time.monotonic()
    subprocess.run(
        [str(oma), "render", "briefing.yaml", "-o", "out.mp4", "--height", str(height)],
        cwd=run,
        env=env,
        check=True,
        capture_output=True,
    )
    wall = time.monotonic() - start
    cpu = cpu_seconds() - cpu
    stills = sorted((run / "work").rglob("stills/*.bmp"))[:6]
    config = PipelineConfig(height=height)
    size = Briefing(**briefing).aspect.size(config.height)
    base_cpu = cpu_seconds()
    base = sine_baseline(stills, duration, config.fps, size, run / "base.mp4")
    base_cpu = cpu_seconds() - base_cpu
    print(
        f"whole `oma render` {duration} s {size[0]}x{size[1]}: wall {wall:6.2f} s | "
        f"realtime x{wall / duration:.3f} | six stills + sine baseline {base:6.2f} s, "
        f"ratio x{wall / base:.2f} | CPU {cpu:.1f} s vs baseline's {base_cpu:.1f} s, "
        f"x{cpu / base_cpu:.2f} | {at}"
    )
    sys.stdout.flush()
    shutil.rmtree(run, ignore_errors=True)
    return {"wall": wall, "realtime": wall / duration, "ratio": wall / base, "cpu": cpu / base_cpu}


def repeated(label: str, runs: int, case) -> None:
    """Run `case` `runs` times (each with its own baseline beside it); print the medians."""
    figures = [case() for _ in range(runs)]
    if runs > 1:
        medians = {k: statistics.median(f[k] for f in figures) for k in figures[0]}
        print(
            f"  median of {runs}, {label}: wall {medians['wall']:.2f} s, "
            f"realtime x{medians['realtime']:.3f}, baseline ratio x{medians['ratio']:.2f}, "
            f"CPU ratio x{medians['cpu']:.2f}"
            + (f", peak RSS {medians['rss']:.0f} MB" if "rss" in medians else "")
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="only 60 s at 720p")
    parser.add_argument("--one", nargs=2, type=int, metavar=("SECONDS", "HEIGHT"), help="a single case")
    parser.add_argument("--clips", action="store_true", help="60 s at 720p with six 1080p clips")
    parser.add_argument("--whole", action="store_true", help="a whole `oma render` of 60 s at 720p")
    parser.add_argument("--repeat", type=int, default=1, help="runs per case, interleaved with baselines")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="oma-bench-"))
    n = args.repeat
    try:
        print(
            "targets: 60 s 720p <= x0.30 realtime; <= x1.5 the ffmpeg baseline; "
            f"180 s 1080p peak RSS <= 600 MB | {os.cpu_count()} CPUs"
        )
        if args.one:
            repeated(f"{args.one[0]} s {args.one[1]}p", n, lambda: one(*args.one, root))
            return
        if args.clips:
            print("with clips: target <= x0.40 realtime, peak RSS <= 600 MB")
            clips = make_clips(root)
            repeated("with clips", n, lambda: one(60, 720, root, clips))
            return
        if args.whole:
            print("whole oma render: target <= x1.5 the six-still baseline")
            repeated("whole oma render", n, lambda: whole(60, 720, root))
            return
        repeated("60 s 720p", n, lambda: one(60, 720, root))
        if not args.quick:
            repeated("60 s 1080p", n, lambda: one(60, 1080, root))
            repeated("180 s 1080p", n, lambda: one(180, 1080, root))
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
