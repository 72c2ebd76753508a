"""Plain configuration for the pipeline; built by the bot or CLI, never read from the environment."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, SecretStr


class Prices(BaseModel):
    """USD prices used to estimate and record what OpenAI calls cost."""

    model_config = ConfigDict(frozen=True)

    input_per_mtok: float = 0.15
    output_per_mtok: float = 0.60
    tts_per_mchar: float = 15.0
    image_each: float = 0.04


class PipelineConfig(BaseModel):
    """Everything the pipeline needs to know; defaults run fully offline."""

    model_config = ConfigDict(frozen=True)

    work_dir: Path = Path(".oma/work")
    height: int = Field(default=720, description="Output lines for 16:9 (the short side)")
    fps: int = 30
    captions: bool = True
    music: bool = True
    # OpenAI (or any compatible server); no key means the offline backends.
    openai_api_key: SecretStr | None = None
    openai_base_url: str | None = None
    openai_timeout: float = 60.0
    openai_max_retries: int = 3
    text_model: str = "gpt-4o-mini"
    tts_model: str = "gpt-4o-mini-tts"
    tts_voice: str = "alloy"
    image_model: str = "gpt-image-1"
    use_openai_voice: bool = True
    use_openai_images: bool = True
    prices: Prices = Prices()
    # Piper voice model; None means the bundled en_US-joe-medium.
    piper_model: Path | None = None
    render_workers: int = 2

    @property
    def online(self) -> bool:
        return self.openai_api_key is not None and bool(self.openai_api_key.get_secret_value())
