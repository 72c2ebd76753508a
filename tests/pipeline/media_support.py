"""Small pictures and clips made on the spot, and finding a picture in a decoded frame."""

from __future__ import annotations

import struct
import subprocess
import zlib
from pathlib import Path

import numpy as np
from PIL import Image

from pipeline.render.ffmpeg import ffmpeg_exe


def pattern(path: Path, size: tuple[int, int], seed: int = 1) -> Image.Image:
    """A picture of random coloured blocks (it matches itself only), saved as PNG or JPEG by suffix."""
    rng = np.random.default_rng(seed)
    w, h = size
    blocks = rng.integers(0, 256, (h // 20 + 1, w // 20 + 1, 3), dtype=np.uint8)
    img = Image.fromarray(np.kron(blocks, np.ones((20, 20, 1), dtype=np.uint8))[:h, :w])
    img.save(path)
    return img


def clip(path: Path, seconds: float, size: str = "320x180", tone: int = 3000) -> Path:
    """A clip that changes all over (Conway's life, in colour), with a loud tone beside it."""
    subprocess.run(
        [
            *(
                ffmpeg_exe(),
                "-v",
                "error",
                "-y",
                "-f",
                "lavfi",
                "-i",
                f"life=s={size}:r=30:ratio=0.3:life_color=#FFD000:death_color=#1040A0:mold=5",
            ),
            *("-f", "lavfi", "-i", f"sine=f={tone}", "-t", f"{seconds}", "-c:v", "libx264"),
            *("-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", str(path)),
        ],
        check=True,
    )
    return path


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def bomb_png(path: Path, side: int = 30000) -> Path:
    """A valid-looking PNG header declaring side x side pixels, with almost no data."""
    ihdr = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 1000)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", idat) + _chunk(b"IEND", b"")
    )
    return path


def _gray(a: np.ndarray) -> np.ndarray:
    return np.asarray(a, dtype=np.float64)[..., :3] @ np.array([0.299, 0.587, 0.114])


def ncc_peak(frame: np.ndarray, template: np.ndarray) -> float:
    """The best zero-mean normalised cross-correlation of `template` over `frame` (grey, FFT)."""
    f, t = _gray(frame), _gray(template)
    th, tw = t.shape
    fh, fw = f.shape
    if th > fh or tw > fw:
        return 0.0
    t = t - t.mean()
    tnorm = np.sqrt((t**2).sum())
    shape = (fh + th, fw + tw)
    corr = np.fft.irfft2(np.fft.rfft2(f, shape) * np.conj(np.fft.rfft2(t, shape)), shape)[
        : fh - th + 1, : fw - tw + 1
    ]
    s1 = np.pad(f, ((1, 0), (1, 0))).cumsum(0).cumsum(1)
    s2 = np.pad(f**2, ((1, 0), (1, 0))).cumsum(0).cumsum(1)

    def window(s: np.ndarray) -> np.ndarray:
        return s[th:, tw:] - s[:-th, tw:] - s[th:, :-tw] + s[:-th, :-tw]

    n = th * tw
    var = window(s2) - window(s1) ** 2 / n
    score = corr / (np.sqrt(np.maximum(var, 1e-9)) * tnorm + 1e-9)
    return float(score.max())


def find_picture(frame: np.ndarray, picture: Image.Image, scale: float, box=(0.1, 0.08, 0.5, 0.45)) -> float:
    """The best match of a part of `picture` (fractions `box`), shown at about `scale`, in `frame`."""
    w, h = picture.size
    part = picture.crop((round(w * box[0]), round(h * box[1]), round(w * box[2]), round(h * box[3])))
    best = 0.0
    for f in (0.94, 0.97, 1.0, 1.03, 1.06):
        s = scale * f
        size = (max(8, round(part.width * s)), max(8, round(part.height * s)))
        best = max(best, ncc_peak(frame, np.asarray(part.resize(size, Image.Resampling.BILINEAR))))
    return best
