"""Text layers as ffmpeg filters: a looped still, a state crop, an alpha fade and a moving overlay.

Every motion is an expression of the piece's time `t`, evaluated by ffmpeg per frame, so
entrances cost no Python per frame: fade (alpha), slide / rise (eased overlay x, y),
word-by-word, count-up and zoom (a crop stepping through the layer's stacked states).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pipeline.render.kinds import Layer


@dataclass(frozen=True)
class Placed:
    """A layer written to disk, as the editor and the piece cache see it."""

    image: Path
    x: int
    y: int
    width: int
    height: int
    start: float
    duration: float
    dx: int = 0
    dy: int = 0
    state_times: tuple[float, ...] = ()

    @classmethod
    def of(cls, layer: Layer, image: Path) -> Placed:
        return cls(
            image,
            layer.x,
            layer.y,
            layer.width,
            layer.height,
            round(layer.start, 3),
            round(layer.duration, 3),
            layer.dx,
            layer.dy,
            tuple(round(t, 3) for t in layer.state_times),
        )

    def key(self) -> tuple:
        """What the piece cache hashes: the image's content name and every number."""
        return (
            self.image.name,
            self.x,
            self.y,
            self.width,
            self.height,
            self.start,
            self.duration,
            self.dx,
            self.dy,
            self.state_times,
        )


def _eased(start: float, duration: float) -> str:
    # Ease-out cubic of the entrance's progress: 1 - (1 - u)^3; here the part still to travel.
    return f"pow(1-clip((t-{start:.3f})/{max(duration, 0.001):.3f},0,1),3)"


def layer_filters(
    k: int, layer: Placed, shift: float, frames: int, fps: int, src: str, dst: str
) -> list[str]:
    """Filters that overlay input `k` (the layer's PNG) onto stream `src` as `dst`.

    `shift` turns the layer's scene times into piece times (the piece may start before or
    after the scene does).
    """
    start = max(0.0, layer.start + shift)
    # Converted to 4:2:0 once, before the loop repeats it; states have even heights.
    chain = f"[{k}:v]format=yuva420p,loop=loop={frames - 1}:size=1:start=0,setpts=N/{fps}/TB"
    if layer.state_times:
        steps = "+".join(f"gte(t,{t + shift:.3f})" for t in layer.state_times)
        chain += f",crop={layer.width}:{layer.height}:0:'{layer.height}*({steps})'"
    chain += f",fade=t=in:st={start:.3f}:d={max(layer.duration, 0.04):.3f}:alpha=1[l{k}]"
    x = f"'{layer.x}+({layer.dx})*{_eased(start, layer.duration)}'" if layer.dx else str(layer.x)
    y = f"'{layer.y}+({layer.dy})*{_eased(start, layer.duration)}'" if layer.dy else str(layer.y)
    return [chain, f"[{src}][l{k}]overlay=x={x}:y={y}:enable='gte(t,{start:.3f})'[{dst}]"]
