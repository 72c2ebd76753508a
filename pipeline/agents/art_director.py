"""Art director: one image per scene at the canvas size (procedural offline, or OpenAI images)."""

from __future__ import annotations

import base64
import io
from pathlib import Path
from typing import Protocol

import openai
from PIL import Image, ImageOps

from pipeline.agents.fallback import Fallback
from pipeline.briefing import Style
from pipeline.cache import WorkDir, content_key
from pipeline.config import PipelineConfig
from pipeline.errors import AgentError
from pipeline.llm import translate_error
from pipeline.models import ScenePlan, Usage
from pipeline.progress import CancelToken
from pipeline.render.branding import Branding
from pipeline.render.procedural import draw_art

AGENT = "art_director"


class ArtEngine(Protocol):
    id: str

    def draw(self, plan: ScenePlan, style: Style, size: tuple[int, int]) -> Image.Image: ...


class ProceduralArt:
    """Offline art per style: gradients, shapes, texture (in a brand's colours, given one)."""

    def __init__(self, branding: Branding | None = None) -> None:
        self.branding = branding or Branding()
        brand = self.branding.colours_id()
        self.id = f"procedural:1:{brand}" if brand else "procedural:1"

    def draw(self, plan: ScenePlan, style: Style, size: tuple[int, int]) -> Image.Image:
        colours = self.branding.palette(plan.palette, style)
        return draw_art(style, plan.palette, plan.visual_prompt, size, colours)


class OpenAIImages:
    """OpenAI image generation (or a compatible server), cover-fitted to the canvas."""

    def __init__(
        self, client: openai.OpenAI, config: PipelineConfig, branding: Branding | None = None
    ) -> None:
        self.client = client
        self.config = config
        self.branding = branding or Branding()
        brand = self.branding.colours_id()
        self.id = f"openai:{config.image_model}" + (f":{brand}" if brand else "")
        self.usage = Usage(agent=AGENT)

    def _size(self, size: tuple[int, int]) -> str:
        w, h = size
        wide = "1792x1024" if self.config.image_model.startswith("dall-e") else "1536x1024"
        if w > h * 1.1:
            return wide
        if h > w * 1.1:
            return "x".join(reversed(wide.split("x")))
        return "1024x1024"

    def draw(self, plan: ScenePlan, style: Style, size: tuple[int, int]) -> Image.Image:
        colours = self.branding.palette(plan.palette, style)
        palette = ", ".join(f"#{r:02x}{g:02x}{b:02x}" for r, g, b in colours[:4]) if colours else plan.palette
        prompt = (
            f"{plan.visual_prompt}. Visual style: {style.value}, palette: {palette}. "
            "No text, letters or logos in the image."
        )
        extra = {"response_format": "b64_json"} if self.config.image_model.startswith("dall-e") else {}
        try:
            resp = self.client.images.generate(
                model=self.config.image_model,
                prompt=prompt,
                size=self._size(size),
                n=1,
                **extra,  # type: ignore[arg-type]
            )
        except openai.OpenAIError as exc:
            raise translate_error(AGENT, exc) from exc
        if not resp.data or not resp.data[0].b64_json:
            raise AgentError(AGENT, "The image service returned no image data.", retryable=True)
        self.usage.images += 1
        self.usage.cost_usd += self.config.prices.image_each
        try:
            img = Image.open(io.BytesIO(base64.b64decode(resp.data[0].b64_json))).convert("RGB")
        except (OSError, ValueError) as exc:
            raise AgentError(
                AGENT, "The image service returned an unreadable image.", retryable=True
            ) from exc
        return ImageOps.fit(img, size, Image.Resampling.LANCZOS)


class FallbackArt(Fallback):
    """The image service, handing over to procedural art if it fails mid-task."""

    def __init__(self, primary: ArtEngine, fallback: ArtEngine, notes: list[str]) -> None:
        super().__init__(
            primary,
            fallback,
            notes,
            "The image service failed ({why}), so this video uses the procedural art.",
        )

    def draw(self, plan: ScenePlan, style: Style, size: tuple[int, int]) -> Image.Image:
        return self._call(lambda engine: engine.draw(plan, style, size))


def draw_scenes(
    engine: ArtEngine,
    plans: list[ScenePlan],
    style: Style,
    size: tuple[int, int],
    work: WorkDir,
    cancel: CancelToken,
    step=lambda i, msg: None,
) -> list[Path]:
    """Every scene's image, in one look: when the engine falls back mid-way, the scenes drawn
    before are drawn again by the fallback."""
    while True:
        used, arts = engine.id, []
        for i, plan in enumerate(plans):
            cancel.check()
            arts.append(scene_art(engine, plan, style, size, work))
            step(i + 1, f"Drew scene {i + 1} of {len(plans)}")
        if engine.id == used:
            return arts


def scene_art(engine: ArtEngine, plan: ScenePlan, style: Style, size: tuple[int, int], work: WorkDir) -> Path:
    """Path of the scene's image, drawn once per (engine, prompt, palette, style, size)."""
    key = content_key("art", engine.id, plan.visual_prompt, plan.palette, style, size)
    return work.build(
        work.path("art", key, ".bmp"), lambda tmp: engine.draw(plan, style, size).save(tmp, format="BMP")
    )
