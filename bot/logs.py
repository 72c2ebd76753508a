"""loguru set-up: JSON outside development, one request id per task, secrets redacted."""

from __future__ import annotations

import logging
import re
import sys
import traceback
from typing import Any

from loguru import logger

from bot.settings import Settings

# Shapes of Slack tokens, signing secrets and OpenAI keys; values from settings are added.
SECRET_SHAPES = re.compile(
    r"xox[abposr]-[A-Za-z0-9-]{8,}|xapp-[A-Za-z0-9-]{8,}|sk-[A-Za-z0-9_-]{16,}|\b[0-9a-f]{32}\b"
)
REDACTED = "[redacted]"


class Redactor:
    """Replaces every known secret and anything shaped like one."""

    def __init__(self, settings: Settings | None = None) -> None:
        values = []
        if settings is not None:
            for secret in (
                settings.slack_bot_token,
                settings.slack_signing_secret,
                settings.slack_app_token,
                settings.openai_api_key,
                settings.tts_api_key,
                settings.image_api_key,
                settings.pexels_api_key,
                settings.s3_secret_access_key,
            ):
                if secret is not None and len(secret.get_secret_value()) >= 6:
                    values.append(re.escape(secret.get_secret_value()))
        self.exact = re.compile("|".join(values)) if values else None

    def __call__(self, text: str) -> str:
        if self.exact is not None:
            text = self.exact.sub(REDACTED, text)
        return SECRET_SHAPES.sub(REDACTED, text)


def setup_logging(settings: Settings, sink: Any = None) -> Redactor:
    """Configure loguru once for the process; returns the redactor it applies."""
    redact = Redactor(settings)
    serialize = settings.log_format == "json" or (
        settings.log_format == "auto" and settings.env != "development"
    )

    def patch(record: dict) -> None:
        record["message"] = redact(record["message"])
        for key, value in list(record["extra"].items()):
            if isinstance(value, str):
                record["extra"][key] = redact(value)
        if record["exception"] is not None:
            # loguru would print the exception outside the message, unredacted: fold the
            # traceback into the message, redacted, and drop the raw exception.
            exc_type, exc, tb = record["exception"]
            text = "".join(traceback.format_exception(exc_type, exc, tb)) if exc_type else ""
            record["message"] += "\n" + redact(text.rstrip())
            record["exception"] = None

    logger.remove()
    logger.configure(patcher=patch)  # type: ignore[arg-type]
    logger.add(
        sink or sys.stderr,
        level=settings.log_level.upper(),
        serialize=serialize,
        backtrace=False,
        diagnose=False,  # diagnose would print local variables, secrets included
        format="{time:HH:mm:ss} {level: <7} {extra[task]} {extra[request]} {message}",
    )
    logger.configure(extra={"task": "-", "request": "-"})
    # One stream: aiohttp's server errors, asyncio's, Bolt's and slack-sdk's stdlib logging, and
    # Python warnings, all through loguru, in the same shape and with the same redaction.
    logging.basicConfig(handlers=[ToLoguru()], level=logging.INFO, force=True)
    logging.captureWarnings(True)
    return redact


class ToLoguru(logging.Handler):
    """Hands stdlib log records to loguru, keeping their level, origin and exception."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            level: str | int = logger.level(record.levelname).name
        except ValueError:
            level = record.levelno
        logger.patch(lambda r: r.update(name=record.name, function=record.funcName, line=record.lineno)).opt(
            exception=record.exc_info
        ).log(level, record.getMessage())
