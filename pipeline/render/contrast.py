"""WCAG contrast: text colour and a scrim chosen so text reads at 4.5:1 over any background.

Reusable for brand colours and user photos: give it the colour you want and the pixels that
will be behind the text, and it returns the least change that makes the text legible.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

RGB = tuple[int, int, int]
AA = 4.5
BLACK: RGB = (0, 0, 0)
WHITE: RGB = (255, 255, 255)


def _linear(c: np.ndarray) -> np.ndarray:
    c = np.asarray(c, dtype=np.float64) / 255
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def luminance(rgb: np.ndarray | RGB) -> np.ndarray:
    """WCAG relative luminance of sRGB colours (any shape ending in 3)."""
    lin = _linear(np.asarray(rgb))
    return lin[..., 0] * 0.2126 + lin[..., 1] * 0.7152 + lin[..., 2] * 0.0722


def contrast_ratio(a: np.ndarray | RGB, b: np.ndarray | RGB) -> np.ndarray:
    la, lb = luminance(a), luminance(b)
    return (np.maximum(la, lb) + 0.05) / (np.minimum(la, lb) + 0.05)


@dataclass(frozen=True)
class Legible:
    """How to draw text legibly: its colour and a scrim (colour, opacity 0..1) behind it."""

    text: RGB
    scrim: RGB
    scrim_alpha: float
    ratio: float  # the worst contrast left over the background, with the scrim


def worst_contrast(text: RGB, behind: np.ndarray, scrim: RGB = BLACK, alpha: float = 0.0) -> float:
    """The contrast of `text` over the least favourable 1% of `behind` (RGB pixels) under a scrim.

    Compositing is in sRGB values, as Pillow and ffmpeg blend; the 1% ignores film grain.
    """
    px = np.asarray(behind, dtype=np.float64).reshape(-1, 3)
    shown = px * (1 - alpha) + np.asarray(scrim, dtype=np.float64) * alpha
    return float(np.percentile(contrast_ratio(np.asarray(text, dtype=np.float64), shown), 1))


def _towards(c: RGB, target: RGB, f: float) -> RGB:
    return tuple(round(a + (b - a) * f) for a, b in zip(c, target, strict=True))  # type: ignore[return-value]


def legible(text: RGB, behind: np.ndarray, *, min_alpha: float = 0.0, target: float = AA) -> Legible:
    """Keep `text` if it reads over `behind`; else add the lightest scrim that makes it read,
    and past a strong scrim move the colour itself towards black or white."""
    px = np.asarray(behind, dtype=np.uint8).reshape(-1, 3)
    if len(px) > 20000:  # a regular subsample is as good as every pixel for a percentile
        px = px[:: len(px) // 20000]
    # A dark scrim under light text, a light one under dark text.
    scrim = BLACK if contrast_ratio(text, BLACK) >= contrast_ratio(text, WHITE) else WHITE
    alpha = min_alpha
    while True:
        ratio = worst_contrast(text, px, scrim, alpha)
        if ratio >= target or alpha >= 0.7:
            break
        alpha = round(alpha + 0.05, 2)
    colour = text
    extreme = WHITE if scrim == BLACK else BLACK
    for step in range(1, 11):
        if ratio >= target:
            break
        colour = _towards(text, extreme, step / 10)
        ratio = worst_contrast(colour, px, scrim, alpha)
    if ratio < target:  # only a near-opaque scrim is left
        alpha = 0.85
        ratio = worst_contrast(colour, px, scrim, alpha)
    return Legible(colour, scrim, alpha, ratio)
