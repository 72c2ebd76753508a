"""Procedural art per style: gradient, shapes, texture and vignette; never a flat frame."""

from __future__ import annotations

import hashlib
import math

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from pipeline.briefing import Style

RGB = tuple[int, int, int]


def _hex(c: str) -> RGB:
    return (int(c[1:3], 16), int(c[3:5], 16), int(c[5:7], 16))


# name: (gradient from, gradient to, accent, second accent, text colour)
PALETTES: dict[str, tuple[str, str, str, str, str]] = {
    "navy": ("#0b1f3a", "#1f4e79", "#4fa3d9", "#9ad1f5", "#ffffff"),
    "slate": ("#1e2a33", "#44576a", "#f2a541", "#8fb8de", "#ffffff"),
    "teal": ("#063a40", "#0f766e", "#5eead4", "#fcd34d", "#ffffff"),
    "violet": ("#2e1065", "#7c3aed", "#f472b6", "#22d3ee", "#ffffff"),
    "coral": ("#3b0a2a", "#e0565b", "#ffb199", "#fde68a", "#ffffff"),
    "ocean": ("#03254c", "#1167b1", "#2ad4c0", "#d0efff", "#ffffff"),
    "dusk": ("#120c1f", "#4a2545", "#f59e0b", "#c084fc", "#fff7ed"),
    "ember": ("#1a0a05", "#7c2d12", "#fb923c", "#fde047", "#fff7ed"),
    "noir": ("#050505", "#2b2b36", "#e5e7eb", "#94a3b8", "#f8fafc"),
    "paper": ("#f5f1e8", "#e7e0d0", "#1f2937", "#b45309", "#111827"),
    "stone": ("#e5e7eb", "#cbd5e1", "#334155", "#0ea5e9", "#0f172a"),
    "mist": ("#eef6f7", "#cfe3e6", "#0f766e", "#64748b", "#0f172a"),
    "candy": ("#ff5f8f", "#ffb86b", "#5b5bd6", "#ffe66d", "#ffffff"),
    "lime": ("#1d976c", "#93f9b9", "#ff6f59", "#2b2d42", "#ffffff"),
    "sunny": ("#ff9a00", "#ffd000", "#ff2e63", "#08d9d6", "#1a1a2e"),
}


STYLE_PALETTES: dict[Style, list[str]] = {
    Style.CORPORATE: ["navy", "slate", "teal"],
    Style.MODERN: ["violet", "coral", "ocean"],
    Style.CINEMATIC: ["dusk", "ember", "noir"],
    Style.MINIMAL: ["paper", "stone", "mist"],
    Style.PLAYFUL: ["candy", "lime", "sunny"],
}


def palette_colors(name: str, style: Style) -> tuple[RGB, RGB, RGB, RGB, RGB]:
    """The palette's colours; an unknown name (say, from a model) falls back by style."""
    key = name if name in PALETTES else STYLE_PALETTES[style][0]
    return tuple(_hex(c) for c in PALETTES[key])  # type: ignore[return-value]


def _rng(seed: str) -> np.random.Generator:
    return np.random.default_rng(int(hashlib.sha256(seed.encode()).hexdigest()[:16], 16))


def _gradient(w: int, h: int, c0: RGB, c1: RGB, angle: float, radial: bool) -> np.ndarray:
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    if radial:
        d = np.hypot((x - w * 0.35) / w, (y - h * 0.3) / h) / 0.9
    else:
        d = (x / w) * math.cos(angle) + (y / h) * math.sin(angle)
        d = (d - d.min()) / (np.ptp(d) or 1)
    d = np.clip(d, 0, 1)[..., None]
    return np.asarray(c0, np.float32) * (1 - d) + np.asarray(c1, np.float32) * d


def _shapes(style: Style, w: int, h: int, rng: np.random.Generator, acc: RGB, acc2: RGB) -> Image.Image:
    layer = Image.new("RGBA", (w, h), (0, 0, 0, 0))
    d = ImageDraw.Draw(layer)
    s = min(w, h)
    if style is Style.CORPORATE:
        for _ in range(5):
            x = rng.uniform(-0.3, 1.0) * w
            bw = rng.uniform(0.08, 0.25) * w
            col = acc if rng.random() < 0.6 else acc2
            d.polygon([(x, h), (x + bw, h), (x + bw + h * 0.6, 0), (x + h * 0.6, 0)], fill=(*col, 46))
        step = max(24, s // 14)
        for gx in range(0, w, step):
            d.line([(gx, 0), (gx, h)], fill=(255, 255, 255, 14), width=1)
        for gy in range(0, h, step):
            d.line([(0, gy), (w, gy)], fill=(255, 255, 255, 14), width=1)
        return layer
    if style is Style.MODERN:
        # Blobs are drawn and blurred at a quarter size: identical to the eye, 16x cheaper.
        small = Image.new("RGBA", (w // 4, h // 4), (0, 0, 0, 0))
        ds = ImageDraw.Draw(small)
        for _ in range(6):
            r = rng.uniform(0.15, 0.45) * s / 4
            cx, cy = rng.uniform(0, w / 4), rng.uniform(0, h / 4)
            col = acc if rng.random() < 0.5 else acc2
            ds.ellipse([cx - r, cy - r, cx + r, cy + r], fill=(*col, 120))
        return small.filter(ImageFilter.GaussianBlur(s * 0.015)).resize((w, h), Image.Resampling.BILINEAR)
    if style is Style.CINEMATIC:
        ox, oy = rng.uniform(0.6, 1.0) * w, rng.uniform(-0.2, 0.1) * h
        for _ in range(7):
            a = rng.uniform(1.7, 2.9)
            spread = rng.uniform(0.03, 0.08)
            far = 2.5 * max(w, h)
            pts = [
                (ox, oy),
                (ox + far * math.cos(a - spread), oy + far * math.sin(a - spread)),
                (ox + far * math.cos(a + spread), oy + far * math.sin(a + spread)),
            ]
            d.polygon(pts, fill=(*acc, 30))
        for _ in range(18):
            r = rng.uniform(0.01, 0.05) * s
            cx, cy = rng.uniform(0, w), rng.uniform(0.3, 1.0) * h
            d.ellipse([cx - r, cy - r, cx + r, cy + r], fill=(*acc2, 70))
        return layer.filter(ImageFilter.GaussianBlur(s * 0.012))
    if style is Style.MINIMAL:
        r = rng.uniform(0.3, 0.5) * s
        cx, cy = rng.uniform(0.55, 0.85) * w, rng.uniform(0.3, 0.7) * h
        d.ellipse([cx - r, cy - r, cx + r, cy + r], fill=(*acc2, 60))
        d.arc(
            [cx - r * 1.2, cy - r * 1.2, cx + r * 1.2, cy + r * 1.2],
            200,
            340,
            fill=(*acc, 200),
            width=max(2, s // 180),
        )
        for k in range(3):
            y = h * (0.2 + 0.25 * k) + rng.uniform(-10, 10)
            d.line(
                [(w * 0.06, y), (w * rng.uniform(0.2, 0.35), y)],
                fill=(*acc, 120),
                width=max(2, s // 300),
            )
        return layer
    # Playful: confetti of circles, triangles and squiggles.
    cols = [acc, acc2, (255, 255, 255)]
    for _ in range(40):
        col = cols[int(rng.integers(0, 3))]
        cx, cy = rng.uniform(0, w), rng.uniform(0, h)
        r = rng.uniform(0.015, 0.05) * s
        kind = rng.integers(0, 3)
        if kind == 0:
            d.ellipse([cx - r, cy - r, cx + r, cy + r], fill=(*col, 200))
        elif kind == 1:
            a = rng.uniform(0, 2 * math.pi)
            pts = [(cx + r * math.cos(a + k * 2.094), cy + r * math.sin(a + k * 2.094)) for k in range(3)]
            d.polygon(pts, fill=(*col, 200))
        else:
            pts = [(cx + i * r * 0.5, cy + r * 0.4 * math.sin(i * 1.6)) for i in range(7)]
            d.line(pts, fill=(*col, 220), width=max(3, int(r * 0.3)), joint="curve")
    return layer


def draw_art(
    style: Style,
    palette: str,
    seed: str,
    size: tuple[int, int],
    colours: tuple[RGB, RGB, RGB, RGB, RGB] | None = None,
) -> Image.Image:
    """An RGB background for one scene, the same for the same (style, palette, seed, size);
    `colours` (a brand's palette) replace the named palette's."""
    w, h = size
    c0, c1, acc, acc2, _text = colours or palette_colors(palette, style)
    rng = _rng(f"{style}:{palette}:{seed}")
    base = _gradient(w, h, c0, c1, rng.uniform(0, math.pi), radial=style is Style.CINEMATIC)
    img = Image.fromarray(base.astype(np.uint8)).convert("RGBA")
    img.alpha_composite(_shapes(style, w, h, rng, acc, acc2))
    arr = np.asarray(img.convert("RGB"), dtype=np.float32)
    # Fine grain keeps gradients from banding after H.264; a vignette frames the scene.
    arr += rng.normal(0, 5 if style is Style.CINEMATIC else 2.5, (h, w, 1)).astype(np.float32)
    y, x = np.ogrid[0:h, 0:w]
    v = 1 - 0.35 * (((x - w / 2) / (w / 2)) ** 2 + ((y - h / 2) / (h / 2)) ** 2) / 2
    if style is not Style.MINIMAL:
        arr *= v[..., None]
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))
