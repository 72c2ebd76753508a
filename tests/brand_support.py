"""Helpers the brand tests share: find a logo in a decoded frame, count a colour's pixels."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

LOGO = Path(__file__).resolve().parent.parent / "examples" / "brand" / "logo.png"


def _gray(img: np.ndarray) -> np.ndarray:
    return img[..., :3].astype(np.float64) @ np.array([0.299, 0.587, 0.114])


def ncc(frame: np.ndarray, tmpl: np.ndarray) -> tuple[float, tuple[int, int]]:
    """Best normalised cross-correlation of `tmpl` over `frame` (grayscale), and where (x, y)."""
    f, t = _gray(frame), _gray(tmpl)
    th, tw = t.shape
    t = t - t.mean()
    tn = np.sqrt((t**2).sum()) or 1.0
    fh, fw = f.shape
    shape = (fh + th, fw + tw)
    corr = np.fft.irfft2(np.fft.rfft2(f, shape) * np.conj(np.fft.rfft2(t, shape)), shape)[
        : fh - th + 1, : fw - tw + 1
    ]
    s = np.pad(f, ((1, 0), (1, 0))).cumsum(0).cumsum(1)
    s2 = np.pad(f**2, ((1, 0), (1, 0))).cumsum(0).cumsum(1)

    def box(a: np.ndarray) -> np.ndarray:
        return a[th:, tw:] - a[:-th, tw:] - a[th:, :-tw] + a[:-th, :-tw]

    n = th * tw
    var = np.maximum(box(s2) - box(s) ** 2 / n, 1e-9)
    score = corr / (np.sqrt(var) * tn)
    y, x = np.unravel_index(int(np.argmax(score)), score.shape)
    return float(score[y, x]), (int(x), int(y))


def find_logo(frame: np.ndarray, logo: Path = LOGO, heights=range(14, 120, 2)) -> tuple[float, tuple, int]:
    """(score, (x, y), height) of the logo's opaque middle at the best of several sizes."""
    src = Image.open(logo).convert("RGBA")
    best = (-1.0, (0, 0), 0)
    for h in heights:
        w = round(src.width * h / src.height)
        if w >= frame.shape[1] or h >= frame.shape[0]:
            break
        small = np.asarray(src.resize((w, h), Image.Resampling.LANCZOS))
        # The middle 70%: the badge's rounded, transparent corners show whatever is behind.
        inner = small[round(h * 0.15) : round(h * 0.85), round(w * 0.1) : round(w * 0.9)]
        score, at = ncc(frame, inner)
        if score > best[0]:
            best = (score, at, h)
    return best


def colour_share(frame: np.ndarray, rgb: tuple[int, int, int], tol: int = 30, rows=None) -> float:
    """The fraction of pixels (in `rows`, a slice) within `tol` of `rgb` on every channel."""
    region = frame if rows is None else frame[rows]
    close = np.all(np.abs(region.astype(int) - np.array(rgb)) <= tol, axis=-1)
    return float(close.mean())


def make_otf(path: Path, family: str = "Boxy Test") -> Path:
    """A small OpenType (CFF) font: every printable ASCII letter a solid box, so text drawn with
    it is unmistakable. Bundled fonts are all TrueType; this is what an .otf upload looks like."""
    from fontTools.fontBuilder import FontBuilder
    from fontTools.pens.t2CharStringPen import T2CharStringPen

    chars = [chr(c) for c in range(33, 127)]
    names = [".notdef", "space", *(f"c{ord(c)}" for c in chars)]
    widths = {n: 600 for n in names} | {"space": 300}
    strings = {}
    for name in names:
        pen = T2CharStringPen(widths[name], None)
        if name != "space":
            pen.moveTo((60, 0))
            pen.lineTo((60, 700))
            pen.lineTo((540, 700))
            pen.lineTo((540, 0))
            pen.closePath()
        strings[name] = pen.getCharString()
    fb = FontBuilder(1000, isTTF=False)
    fb.setupGlyphOrder(names)
    fb.setupCharacterMap({32: "space"} | {ord(c): f"c{ord(c)}" for c in chars})
    ps = family.replace(" ", "")
    fb.setupCFF(ps, {"FullName": family}, strings, {})
    fb.setupHorizontalMetrics({n: (widths[n], 0 if n == "space" else 60) for n in names})
    fb.setupHorizontalHeader(ascent=800, descent=-200)
    fb.setupNameTable({"familyName": family, "styleName": "Regular", "psName": ps})
    fb.setupOS2(sTypoAscender=800, sTypoDescender=-200, usWinAscent=800, usWinDescent=200)
    fb.setupPost()
    fb.save(str(path))
    return path
