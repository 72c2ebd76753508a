"""The README's frame strip: one offline video with every scene kind, a frame from each scene.

    .venv/bin/python docs/strips.py [--aspect 16:9|9:16|1:1] [--brand kit.yaml] [-o docs/scene-kinds.png]

It renders the briefing below with the built-in writer, voice and art at 720p, takes each
scene's frame at 80% of its length (its text has entered, the caption shows a later word) and
tiles them with their kinds. Made again whenever what a scene looks like changes.
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
from io import BytesIO
from pathlib import Path

from imageio_ffmpeg import get_ffmpeg_exe
from PIL import Image, ImageDraw

from pipeline import Briefing, PipelineConfig, make_draft, render
from pipeline.brand import load_brand
from pipeline.render.stills import font

BRIEFING = {
    "title": "Q3 all-hands recap",
    "description": (
        "Revenue reached $4.2 million this quarter, up 12% on last quarter. "
        "We shipped three things: offline mode, shared folders and the new admin console. "
        'As our customer Dana Reyes put it, "Nimbus is the first sync tool nobody complains about." '
        "Every file now reaches every laptop within a second. "
        "Join the Q4 kickoff in #all-hands on Friday."
    ),
    "duration": 40,
    "tone": "professional",
}
STYLE = {"16:9": "modern", "9:16": "corporate", "1:1": "cinematic"}
LABEL = 34  # pixels of label under each frame


def grab(video: Path, t: float) -> Image.Image:
    seek = ["-ss", f"{t:.2f}", "-i", str(video), "-frames:v", "1"]
    png = ["-f", "image2pipe", "-vcodec", "png", "-"]
    raw = subprocess.run([get_ffmpeg_exe(), "-v", "error", *seek, *png], capture_output=True, check=True)
    return Image.open(BytesIO(raw.stdout)).convert("RGB")


def strip(aspect: str, out: Path, columns: int, brand: Path | None = None) -> None:
    briefing = Briefing(**BRIEFING, style=STYLE[aspect], aspect=aspect)
    with tempfile.TemporaryDirectory() as tmp:
        kit = load_brand(brand) if brand else None
        config = PipelineConfig(work_dir=Path(tmp) / "work", height=720, brand=kit)
        draft = make_draft(briefing, config)
        result = render(draft, config, out=Path(tmp) / "v.mp4")
        plans, starts = draft.storyboard.scenes, draft.storyboard.starts
        frames = [grab(result.path, s + 0.8 * p.duration) for s, p in zip(starts, plans, strict=True)]
    width = 640 if aspect == "16:9" else 360
    shots = [f.resize((width, round(f.height * width / f.width))) for f in frames]
    rows = -(-len(shots) // columns)
    cell_w, cell_h = width + 8, shots[0].height + LABEL + 8
    sheet = Image.new("RGB", (columns * cell_w + 8, rows * cell_h + 8), (24, 24, 28))
    draw = ImageDraw.Draw(sheet)
    for i, (shot, plan) in enumerate(zip(shots, plans, strict=True)):
        x, y = 8 + i % columns * cell_w, 8 + i // columns * cell_h
        sheet.paste(shot, (x, y))
        draw.text((x, y + shot.height + 6), f"{i + 1}. {plan.kind}", font=font(22), fill=(235, 235, 240))
    out.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(out, optimize=True)
    print(f"wrote {out}: {', '.join(p.kind for p in plans)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--aspect", choices=list(STYLE), default="16:9")
    parser.add_argument("--brand", type=Path, default=None, help="a brand kit (YAML)")
    parser.add_argument("-o", type=Path, default=None)
    args = parser.parse_args()
    name = "brand-strip" if args.brand else "scene-kinds"
    name += "" if args.aspect == "16:9" else f"-{args.aspect.replace(':', 'x')}"
    out = args.o or Path(__file__).parent / f"{name}.png"
    strip(args.aspect, out, columns=3 if args.aspect == "16:9" else 6, brand=args.brand)


if __name__ == "__main__":
    main()
