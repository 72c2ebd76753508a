"""Plain configuration for the pipeline; built by the bot or CLI, never read from the environment.

Each capability (text, voice, art) has its own backend setting. `auto` means: OpenAI's own API
(a key, no base URL) does all three; a custom base URL (Ollama, vLLM, llama.cpp: chat only)
does the text, while the voice stays Piper and the art procedural unless a speech or image
server of its own is named (`tts_base_url`, `image_base_url`) or the backend is set.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit, urlunsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from pipeline.brand import Brand, CaptionPosition

TextBackend = Literal["auto", "openai", "offline"]
VoiceBackend = Literal["auto", "openai", "piper"]
ArtBackend = Literal["auto", "openai", "procedural", "stock"]
Capability = Literal["text", "voice", "art"]

OPENAI_API_URL = "https://api.openai.com/v1"
PEXELS_API_URL = "https://api.pexels.com"
# The setting that picks each capability's backend, and the one naming its own server.
BACKEND_SETTING = {"text": "OMA_TEXT_BACKEND", "voice": "OMA_VOICE_BACKEND", "art": "OMA_ART_BACKEND"}
URL_SETTING = {"text": "OPENAI_BASE_URL", "voice": "OMA_TTS_BASE_URL", "art": "OMA_IMAGE_BASE_URL"}
MODEL_SETTING = {"text": "OMA_TEXT_MODEL", "voice": "OMA_TTS_MODEL", "art": "OMA_IMAGE_MODEL"}
OFFLINE = {"text": "offline", "voice": "piper", "art": "procedural"}
FALLBACK = {"voice": "the Piper voice", "art": "procedural art"}
AGENTS = {"text": "scriptwriter, storyboarder", "voice": "narrator", "art": "art director"}


class Prices(BaseModel):
    """USD prices used to estimate and record what OpenAI calls cost."""

    model_config = ConfigDict(frozen=True)

    input_per_mtok: float = 0.15
    output_per_mtok: float = 0.60
    tts_per_mchar: float = 15.0
    image_each: float = 0.04


@dataclass(frozen=True)
class Endpoint:
    """Where one capability's OpenAI-compatible calls go; `base_url` None is OpenAI's own API."""

    base_url: str | None
    api_key: SecretStr | None

    @property
    def url(self) -> str:
        return self.base_url or OPENAI_API_URL

    @property
    def where(self) -> str:
        """For people and /health: the URL without credentials, or "OpenAI's API"."""
        return public_url(self.base_url) if self.base_url else "OpenAI's API"

    @property
    def key(self) -> str:
        # Self-hosted servers take any key (or none), but the client insists on one.
        value = self.api_key.get_secret_value() if self.api_key else ""
        return value or "unused"


@dataclass(frozen=True)
class Choice:
    """The backend one capability will use, and what it runs on."""

    capability: Capability
    backend: str  # "openai" (any compatible server) or the offline one: offline, piper, procedural
    model: str
    endpoint: Endpoint | None

    @property
    def remote(self) -> bool:
        return self.backend == "openai"

    def describe(self, strict: bool = False) -> str:
        """One line for start-up logs: which agents, which backend and model."""
        head = f"{self.capability} ({AGENTS[self.capability]}):"
        if self.backend == "stock":
            return f"{head} {self.model}; procedural art where Pexels has nothing or fails"
        if self.endpoint is None:
            return f"{head} {self.model} (offline)"
        line = f"{head} model {self.model} at {self.endpoint.where}"
        if self.capability != "text" and not strict:
            line += f"; falls back to {FALLBACK[self.capability]} if it fails mid-task"
        return line

    def summary(self) -> dict[str, str | None]:
        """For /health: no keys, no credentials in URLs."""
        return {
            "backend": self.backend,
            "model": self.model,
            "url": self.endpoint.where if self.endpoint else None,
        }


class PipelineConfig(BaseModel):
    """Everything the pipeline needs to know; defaults run fully offline."""

    model_config = ConfigDict(frozen=True)

    work_dir: Path = Path(".oma/work")
    height: int = Field(default=720, description="Output lines for 16:9 (the short side)")
    fps: int = 30
    captions: bool = True
    music: bool = True
    # OpenAI (or any compatible server); no key and no base URL means the offline backends.
    openai_api_key: SecretStr | None = None
    openai_base_url: str | None = None
    openai_timeout: float = 60.0
    openai_max_retries: int = 3
    text_backend: TextBackend = "auto"
    voice_backend: VoiceBackend = "auto"
    art_backend: ArtBackend = "auto"
    # Separate speech and image servers; their keys fall back to openai_api_key.
    tts_base_url: str | None = None
    tts_api_key: SecretStr | None = None
    image_base_url: str | None = None
    image_api_key: SecretStr | None = None
    # A voice or image service failing mid-task fails it (with Retry) instead of falling back.
    strict_backends: bool = False
    text_model: str = "gpt-4o-mini"
    tts_model: str = "gpt-4o-mini-tts"
    tts_voice: str = "alloy"
    image_model: str = "gpt-image-1"
    prices: Prices = Prices()
    # Piper voice model (an .onnx with its .onnx.json beside it); None means the bundled en_US-joe-medium.
    piper_model: Path | None = None
    render_workers: int = 2
    # A team's brand kit (logo, colours, font, captions, pronunciations); None is OMA's own look.
    brand: Brand | None = None
    # Where captions go, over the kit's choice (`oma render --captions`, the briefing form).
    caption_position: CaptionPosition | None = None
    # Stock footage (art_backend "stock"): Pexels' key, its API (a stand-in in tests), and the
    # folder of downloads and searches every task shares.
    pexels_api_key: SecretStr | None = None
    pexels_base_url: str = PEXELS_API_URL
    stock_dir: Path = Path(".oma/stock")

    @property
    def online(self) -> bool:
        """Whether the text agents use a model."""
        return self.choice("text").remote

    def endpoint(self, capability: Capability) -> Endpoint:
        """The server and key for a capability: its own, else OpenAI's settings."""
        base = self.openai_base_url or None
        if capability == "voice":
            return Endpoint(self.tts_base_url or base, _key(self.tts_api_key) or self.openai_api_key)
        if capability == "art":
            return Endpoint(self.image_base_url or base, _key(self.image_api_key) or self.openai_api_key)
        return Endpoint(base, self.openai_api_key)

    def choice(self, capability: Capability) -> Choice:
        """The backend `capability` uses, with `auto` resolved (see the module's docstring)."""
        chosen = {"text": self.text_backend, "voice": self.voice_backend, "art": self.art_backend}
        setting: str = chosen[capability]
        if setting == "auto":
            own_api = not self.openai_base_url and _key(self.openai_api_key) is not None
            if capability == "text":
                remote = bool(self.openai_base_url) or own_api
            else:
                own_url = self.tts_base_url if capability == "voice" else self.image_base_url
                remote = bool(own_url) or own_api
            setting = "openai" if remote else OFFLINE[capability]
        if setting == "stock":
            return Choice(
                capability, "stock", f"Pexels stock footage at {public_url(self.pexels_base_url)}", None
            )
        if setting != "openai":
            return Choice(capability, setting, self._offline_model(capability), None)
        model = {"text": self.text_model, "voice": self.tts_model, "art": self.image_model}[capability]
        if capability == "voice":
            model = f"{model} (voice {self.tts_voice})"
        return Choice(capability, "openai", model, self.endpoint(capability))

    def _offline_model(self, capability: Capability) -> str:
        if capability == "voice":
            return f"Piper {self.piper_model.name if self.piper_model else 'en_US-joe-medium.onnx'}"
        return "built-in writer and planner" if capability == "text" else "procedural art"


def _key(value: SecretStr | None) -> SecretStr | None:
    return value if value is not None and value.get_secret_value() else None


def public_url(url: str) -> str:
    """`url` without user name or password (they may carry a key)."""
    parts = urlsplit(url)
    if not parts.username and not parts.password:
        return url
    host = parts.hostname or ""
    return urlunsplit(parts._replace(netloc=host + (f":{parts.port}" if parts.port else "")))


def backend_problems(config: PipelineConfig) -> list[str]:
    """Backends set to `openai` that have nowhere to go: OpenAI's own API with no key."""
    problems = []
    if config.art_backend == "stock" and _key(config.pexels_api_key) is None:
        problems.append(
            "OMA_ART_BACKEND=stock needs PEXELS_API_KEY (a free key from https://www.pexels.com/api/)."
        )
    for capability in ("text", "voice", "art"):
        choice = config.choice(capability)  # type: ignore[arg-type]
        where = choice.endpoint
        if where is not None and where.base_url is None and where.key == "unused":
            problems.append(
                f"{BACKEND_SETTING[capability]}=openai needs OPENAI_API_KEY for OpenAI's API, or "
                f"{URL_SETTING[capability]} for a compatible server."
            )
    return problems


MISSING_STATUSES = (404, 405, 501)  # a server without the endpoint (or without the model asked for)
_ENDPOINT = {"text": "/chat/completions", "voice": "/audio/speech", "art": "/images/generations"}
_SERVER = {"text": "model server", "voice": "speech server", "art": "image server"}
_CHANGE = {
    "text": "set OMA_TEXT_MODEL to a model it serves, or OMA_TEXT_BACKEND=offline for the built-in writer",
    "voice": "set OMA_VOICE_BACKEND=piper for the offline voice, or OMA_TTS_BASE_URL to a speech server",
    "art": "set OMA_ART_BACKEND=procedural for the offline art, or OMA_IMAGE_BASE_URL to an image server",
}


def missing_capability(capability: Capability, status: int, url: str, model: str | None) -> str:
    """One plain sentence for a server that lacks a capability (404/405/501), naming the setting."""
    base = public_url(url).split(_ENDPOINT[capability])[0] if url else "the configured URL"
    asked = f" or no model {model!r}" if model else ""
    return (
        f"The {_SERVER[capability]} at {base} answered {status} to {_ENDPOINT[capability]}, so it has "
        f"no such endpoint{asked}: {_CHANGE[capability]}."
    )


def describe_backends(config: PipelineConfig) -> list[str]:
    """One line per capability: which agents, which backend and model (no keys)."""
    return [config.choice(c).describe(config.strict_backends) for c in ("text", "voice", "art")]


def backend_summary(config: PipelineConfig) -> dict[str, dict[str, str | None]]:
    return {c: config.choice(c).summary() for c in ("text", "voice", "art")}
