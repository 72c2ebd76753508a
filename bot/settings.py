"""All configuration, read once from the environment and `.env` (the only module that does)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)
from pydantic_settings import SettingsError as PydanticSettingsError

from pipeline import PipelineConfig
from pipeline.config import PEXELS_API_URL, backend_problems

# Settings that may instead come from a file that NAME_FILE names (Docker and Kubernetes secrets).
SECRET_FILE_FIELDS = (
    "slack_bot_token",
    "slack_signing_secret",
    "slack_app_token",
    "openai_api_key",
    "redis_url",  # may carry Redis' password
    "sentry_dsn",
    "oma_tts_api_key",
    "oma_image_api_key",
    "pexels_api_key",
    "oma_s3_access_key_id",
    "oma_s3_secret_access_key",
)


class SecretFiles(PydanticBaseSettingsSource):
    """`NAME_FILE=/run/secrets/name`: the setting NAME is that file's content, surrounding space dropped."""

    def __init__(self, settings_cls: type[BaseSettings], *sources: EnvSettingsSource) -> None:
        super().__init__(settings_cls)
        self.env: dict[str, str] = {}
        for source in sources:  # later ones win: the environment over .env
            self.env.update({k.lower(): v for k, v in source.env_vars.items() if v})

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False  # unused: __call__ reads every field at once

    def __call__(self) -> dict[str, Any]:
        found = {}
        for name in SECRET_FILE_FIELDS:
            path = self.env.get(f"{name}_file")
            if not path:
                continue
            if self.env.get(name):
                raise SettingsError(f"{name.upper()} and {name.upper()}_FILE are both set: keep only one.")
            try:
                found[name.removeprefix("oma_")] = Path(path).read_text().strip()
            except OSError as exc:
                # The path only: a secret's content never goes into a message.
                raise SettingsError(
                    f"{name.upper()}_FILE names {path}, which cannot be read ({exc.strerror or exc})."
                ) from exc
        return found


# Comma-separated Slack ids; NoDecode keeps pydantic-settings from reading them as JSON (an
# empty `OMA_ADMINS=`, as .env.example has it, or `U1,U2` would not parse).
CsvList = Annotated[list[str], NoDecode]


def _oma(name: str, **kw):
    # OMA_* variables, but tests and code may also pass the plain field name.
    return Field(validation_alias=AliasChoices(f"OMA_{name.upper()}", name), **kw)


class Settings(BaseSettings):
    """Settings for web, worker and CLI alike; see .env.example for every variable."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_api_url: str = "https://slack.com/api/"
    redis_url: str | None = None
    port: int = Field(default=3000, ge=1, le=65535)
    openai_api_key: SecretStr | None = None
    openai_base_url: str | None = None
    sentry_dsn: SecretStr | None = None

    env: Literal["development", "production"] = _oma("env", default="production")
    log_level: str = _oma("log_level", default="INFO")
    log_format: Literal["json", "text", "auto"] = _oma("log_format", default="auto")
    output_dir: Path = _oma("output_dir", default=Path(".oma/output"))
    work_dir: Path = _oma("work_dir", default=Path(".oma/work"))
    video_height: int = _oma("video_height", default=720, ge=240, le=2160)
    text_model: str = _oma("text_model", default="gpt-4o-mini")
    tts_model: str = _oma("tts_model", default="gpt-4o-mini-tts")
    tts_voice: str = _oma("tts_voice", default="alloy")
    image_model: str = _oma("image_model", default="gpt-image-1")
    piper_model: Path | None = _oma("piper_model", default=None)
    # Which backend each agent uses (auto: see pipeline/config.py), and separate speech/image servers.
    text_backend: Literal["auto", "openai", "offline"] = _oma("text_backend", default="auto")
    voice_backend: Literal["auto", "openai", "piper"] = _oma("voice_backend", default="auto")
    art_backend: Literal["auto", "openai", "procedural", "stock"] = _oma("art_backend", default="auto")
    tts_base_url: str | None = _oma("tts_base_url", default=None)
    tts_api_key: SecretStr | None = _oma("tts_api_key", default=None)
    image_base_url: str | None = _oma("image_base_url", default=None)
    image_api_key: SecretStr | None = _oma("image_api_key", default=None)
    strict_backends: bool = _oma("strict_backends", default=False)
    # Stock footage (OMA_ART_BACKEND=stock): the key, Pexels' API, and the downloads every task shares.
    pexels_api_key: SecretStr | None = None
    pexels_url: str = _oma("pexels_url", default=PEXELS_API_URL)
    stock_dir: Path = _oma("stock_dir", default=Path(".oma/stock"))
    job_timeout: int = _oma("job_timeout", default=1800, ge=30)
    max_tries: int = _oma("max_tries", default=3, ge=1)
    concurrency: int = _oma("concurrency", default=1, ge=1, le=16)
    rate_per_minute: int = _oma("rate_per_minute", default=5, ge=1)
    rate_per_hour: int = _oma("rate_per_hour", default=30, ge=1)
    admins: CsvList = _oma("admins", default_factory=list)
    approvers: CsvList = _oma("approvers", default_factory=list)
    allowed_channels: CsvList = _oma("allowed_channels", default_factory=list)
    allowed_users: CsvList = _oma("allowed_users", default_factory=list)
    revision_limit: int = _oma("revision_limit", default=5, ge=1)
    draft_ttl_hours: float = _oma("draft_ttl_hours", default=24.0, gt=0)
    result_ttl_days: float = _oma("result_ttl_days", default=7.0, gt=0)
    progress_interval: float = _oma("progress_interval", default=1.0, ge=0.0)
    upload_timeout: int = _oma("upload_timeout", default=300, ge=10)
    shutdown_grace: int = _oma("shutdown_grace", default=20, ge=0)
    disk_limit_mb: int = _oma("disk_limit_mb", default=10240, ge=1)
    # The HTTP API (bot/api): requests per key, body size, and webhooks.
    api_rate_per_minute: int = _oma("api_rate_per_minute", default=120, ge=1)
    api_rate_per_hour: int = _oma("api_rate_per_hour", default=3000, ge=1)
    api_max_body_kb: int = _oma("api_max_body_kb", default=1024, ge=1)
    webhook_allow_private: bool = _oma("webhook_allow_private", default=False)
    webhook_timeout: float = _oma("webhook_timeout", default=5.0, gt=0)
    webhook_retry_seconds: float = _oma("webhook_retry_seconds", default=60.0, ge=0)
    # Finished videos in an S3-compatible bucket (bot/storage.py) when a bucket is named; the
    # public endpoint is the address download links name, when callers reach it by another.
    s3_bucket: str | None = _oma("s3_bucket", default=None)
    s3_endpoint: str | None = _oma("s3_endpoint", default=None)
    s3_public_endpoint: str | None = _oma("s3_public_endpoint", default=None)
    s3_region: str = _oma("s3_region", default="us-east-1")
    s3_access_key_id: SecretStr | None = _oma("s3_access_key_id", default=None)
    s3_secret_access_key: SecretStr | None = _oma("s3_secret_access_key", default=None)
    s3_link_seconds: int = _oma("s3_link_seconds", default=900, ge=60, le=604800)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        assert isinstance(env_settings, EnvSettingsSource)
        assert isinstance(dotenv_settings, EnvSettingsSource)
        files = SecretFiles(settings_cls, dotenv_settings, env_settings)
        return init_settings, files, env_settings, dotenv_settings, file_secret_settings

    @field_validator("admins", "approvers", "allowed_channels", "allowed_users", mode="before")
    @classmethod
    def _csv(cls, value: object) -> object:
        if isinstance(value, str):
            return [v.strip() for v in value.split(",") if v.strip()]
        return value

    def task_dir(self, task_id: str) -> Path:
        """Where a task's working files live: its drafts' paths are resolved under it."""
        return self.work_dir / task_id

    def pipeline_config(self) -> PipelineConfig:
        """The pipeline's configuration; SettingsError when a backend set to openai has no server."""
        config = PipelineConfig(
            work_dir=self.work_dir,
            height=self.video_height,
            openai_api_key=self.openai_api_key,
            openai_base_url=self.openai_base_url or None,
            text_model=self.text_model,
            tts_model=self.tts_model,
            tts_voice=self.tts_voice,
            image_model=self.image_model,
            piper_model=self.piper_model,
            text_backend=self.text_backend,
            voice_backend=self.voice_backend,
            art_backend=self.art_backend,
            tts_base_url=self.tts_base_url or None,
            tts_api_key=self.tts_api_key,
            image_base_url=self.image_base_url or None,
            image_api_key=self.image_api_key,
            strict_backends=self.strict_backends,
            pexels_api_key=self.pexels_api_key,
            pexels_base_url=self.pexels_url,
            stock_dir=self.stock_dir,
        )
        if problems := backend_problems(config):
            raise SettingsError(problems[0])
        return config

    def slack_configured(self) -> bool:
        """Whether any Slack credential is set. With none, OMA serves the HTTP API only."""
        secrets = (self.slack_bot_token, self.slack_app_token, self.slack_signing_secret)
        return any(s is not None and s.get_secret_value() for s in secrets)

    def require_slack(self) -> None:
        """Stop with one clear message if the Slack credentials are missing or malformed."""
        token = self.slack_bot_token.get_secret_value() if self.slack_bot_token else ""
        if not token.startswith("xoxb-"):
            raise SettingsError(
                "SLACK_BOT_TOKEN is missing or is not a bot token (xoxb-...). Create the app from "
                "manifest.yml, install it, and copy the Bot User OAuth Token from 'OAuth & Permissions'."
            )
        if self.slack_app_token is None and not self.slack_signing_secret:
            raise SettingsError(
                "SLACK_SIGNING_SECRET is missing: copy it from 'Basic Information' of your Slack app "
                "(or set SLACK_APP_TOKEN, xapp-..., to use Socket Mode)."
            )
        if self.slack_app_token and not self.slack_app_token.get_secret_value().startswith("xapp-"):
            raise SettingsError(
                "SLACK_APP_TOKEN is not an app-level token (xapp-...): create one with the "
                "connections:write scope under 'Basic Information'."
            )


class SettingsError(Exception):
    """A setting is missing or invalid; the message names it and says where to fix it."""


def load_settings(**overrides: object) -> Settings:
    """Read settings, turning validation errors into one message that names the variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        err = exc.errors()[0]
        name = str(err["loc"][0]).upper() if err["loc"] else "a setting"
        if not name.startswith(("SLACK_", "REDIS_", "PORT", "OPENAI_", "SENTRY_", "PEXELS_")):
            name = f"OMA_{name}"
        raise SettingsError(f"{name} is invalid: {err['msg']}") from exc
    except PydanticSettingsError as exc:  # a value its source could not even read
        raise SettingsError(str(exc).replace('field "', "setting ").replace('"', "")) from exc
