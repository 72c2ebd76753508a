"""Draws examples/brand/logo.png, the example kit's logo: a rounded badge with a cloud and a
wordmark, on a transparent background. Run it from the repo root to redraw the file."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

HERE = Path(__file__).resolve().parent
FONT = HERE.parent.parent / "pipeline" / "assets" / "fonts" / "Manrope-Bold.ttf"
PRIMARY, WHITE, AMBER = (47, 107, 255), (255, 255, 255), (255, 176, 32)


def draw(scale: int = 4) -> Image.Image:
    """480x192 RGBA, drawn at `scale` times the size and reduced, for smooth edges."""
    w, h = 480 * scale, 192 * scale
    img = Image.new("RGBA", (w, h), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    d.rounded_rectangle([0, 0, w - 1, h - 1], radius=44 * scale, fill=(*PRIMARY, 255))
    # A cloud of three circles on a flat base, and an amber spark beside it.
    s = scale
    for cx, cy, r in ((70, 104, 30), (106, 82, 40), (142, 106, 28)):
        d.ellipse([(cx - r) * s, (cy - r) * s, (cx + r) * s, (cy + r) * s], fill=WHITE)
    d.rounded_rectangle([40 * s, 100 * s, 170 * s, 134 * s], radius=17 * s, fill=WHITE)
    d.ellipse([150 * s, 44 * s, 170 * s, 64 * s], fill=AMBER)
    font = ImageFont.truetype(str(FONT), 78 * s)
    d.text((196 * s, 96 * s), "nimbus", font=font, fill=WHITE, anchor="lm")
    return img.resize((480, 192), Image.Resampling.LANCZOS)


if __name__ == "__main__":
    draw().save(HERE / "logo.png", optimize=True)
    print(f"Wrote {HERE / 'logo.png'}")
