"""Every ffmpeg invocation goes through here: built as lists, cancellable, errors carry stderr."""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Callable, Sequence
from functools import cache
from pathlib import Path

from pipeline.errors import Cancelled, RenderError
from pipeline.progress import CancelToken


@cache
def ffmpeg_exe() -> str:
    """The ffmpeg binary bundled with imageio-ffmpeg (resolved on first use, not at import)."""
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def run_ffmpeg(
    args: Sequence[str | Path],
    *,
    cancel: CancelToken | None = None,
    on_frame: Callable[[int], None] | None = None,
    what: str = "The video encoder",
    cwd: Path | None = None,
) -> None:
    """Run ffmpeg with `args`; report encoded frames; kill it within 0.1 s of a cancel."""
    cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-y", "-loglevel", "error"]
    if on_frame is not None:
        cmd += ["-progress", "pipe:1", "-stats_period", "0.25"]
    cmd += [str(a) for a in args]
    out = subprocess.PIPE if on_frame is not None else subprocess.DEVNULL
    proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.PIPE, text=True, cwd=cwd)
    stderr: list[str] = []
    readers = [threading.Thread(target=lambda: stderr.extend(proc.stderr or []), daemon=True)]
    if on_frame is not None:
        readers.append(threading.Thread(target=_read_progress, args=(proc, on_frame), daemon=True))
    for r in readers:
        r.start()
    try:
        while True:
            try:
                proc.wait(timeout=0.1)
                break
            except subprocess.TimeoutExpired:
                if cancel is not None and cancel.cancelled:
                    raise Cancelled() from None
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for r in readers:
            r.join(timeout=2)
    if proc.returncode != 0:
        raise RenderError(f"{what} failed.", stderr="".join(stderr))


def _read_progress(proc: subprocess.Popen[str], on_frame: Callable[[int], None]) -> None:
    last, cancelled = 0, False
    for line in proc.stdout or []:
        if line.startswith("frame=") and not cancelled:
            try:
                frame = int(line.split("=", 1)[1])
            except ValueError:
                continue
            if frame > last:
                try:
                    on_frame(frame - last)
                except Cancelled:
                    # A progress report found the task cancelled: run_ffmpeg's loop stops
                    # ffmpeg; this thread only drains its output.
                    cancelled = True
                last = frame
