"""Decode videos with the bundled ffmpeg so tests check what a viewer would get."""

from __future__ import annotations

import re
import struct
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pipeline.render.ffmpeg import ffmpeg_exe


@dataclass
class Probe:
    duration: float
    width: int
    height: int
    video_codec: str
    pix_fmt: str
    audio_codec: str
    sample_rate: int


def probe(path: Path) -> Probe:
    """Stream facts from ffmpeg's own reading, and the duration from decoding every frame."""
    info = subprocess.run(
        [ffmpeg_exe(), "-hide_banner", "-i", str(path)], capture_output=True, text=True
    ).stderr
    video = re.search(r"Video: (\w+).*?, (\w+)\(.*?(\d{2,5})x(\d{2,5})", info)
    audio = re.search(r"Audio: (\w+).*?, (\d+) Hz", info)
    assert video and audio, info
    out = subprocess.run(
        [ffmpeg_exe(), "-hide_banner", "-i", str(path), "-map", "0:v", "-f", "null", "-"],
        capture_output=True,
        text=True,
    ).stderr
    frames = int(re.findall(r"frame=\s*(\d+)", out)[-1])
    fps = float(re.search(r"(\d+(?:\.\d+)?) fps", info).group(1))
    return Probe(
        frames / fps,
        int(video.group(3)),
        int(video.group(4)),
        video.group(1),
        video.group(2),
        audio.group(1),
        int(audio.group(2)),
    )


def frame(path: Path, t: float) -> np.ndarray:
    """The RGB frame shown at time t."""
    p = probe_size(path)
    raw = subprocess.run(
        [
            ffmpeg_exe(),
            "-v",
            "error",
            "-ss",
            f"{t:.3f}",
            "-i",
            str(path),
            "-frames:v",
            "1",
            "-f",
            "rawvideo",
            "-pix_fmt",
            "rgb24",
            "-",
        ],
        capture_output=True,
        check=True,
    ).stdout
    return np.frombuffer(raw, np.uint8).reshape(p[1], p[0], 3)


def probe_size(path: Path) -> tuple[int, int]:
    info = subprocess.run(
        [ffmpeg_exe(), "-hide_banner", "-i", str(path)], capture_output=True, text=True
    ).stderr
    m = re.search(r"Video: .*?(\d{2,5})x(\d{2,5})", info)
    assert m, info
    return int(m.group(1)), int(m.group(2))


def audio_rms(path: Path, start: float, end: float) -> float:
    """RMS level (0..1) of the decoded audio between start and end."""
    raw = subprocess.run(
        [
            ffmpeg_exe(),
            "-v",
            "error",
            "-ss",
            f"{start:.3f}",
            "-t",
            f"{end - start:.3f}",
            "-i",
            str(path),
            "-map",
            "0:a",
            "-ac",
            "1",
            "-ar",
            "16000",
            "-f",
            "s16le",
            "-",
        ],
        capture_output=True,
        check=True,
    ).stdout
    samples = np.frombuffer(raw, "<i2").astype(np.float64) / 32768
    return float(np.sqrt(np.mean(samples**2))) if len(samples) else 0.0


def top_level_boxes(path: Path) -> list[str]:
    """MP4 top-level box names in file order (moov before mdat means faststart)."""
    names, data = [], path.read_bytes()
    i = 0
    while i + 8 <= len(data):
        size, name = struct.unpack(">I4s", data[i : i + 8])
        if size == 1:
            size = struct.unpack(">Q", data[i + 8 : i + 16])[0]
        names.append(name.decode("latin-1"))
        if size < 8:
            break
        i += size
    return names
