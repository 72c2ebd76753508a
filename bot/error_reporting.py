"""Error reports to Sentry when SENTRY_DSN is set; without it, sentry-sdk is never imported.

Web and worker report unhandled errors (aiohttp), failed jobs (arq) and error logs (loguru).
Before an event leaves, request bodies, job arguments and local variables are dropped, and
secrets and the user text of the job or request at hand (`keep_private`) are masked.
"""

from __future__ import annotations

import contextvars
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from bot.logs import REDACTED, Redactor
from bot.settings import Settings, SettingsError

FILTERED = "[filtered]"
SAFE_HEADERS = {"user-agent", "content-type", "content-length"}
# The parts of an event that can carry text from a message, a log line or an exception.
TEXT_PARTS = ("message", "logentry", "exception", "threads", "breadcrumbs", "extra", "request", "transaction")

# User text (a briefing's title and description, feedback) of the job or request that runs in
# this context: masked in whatever it reports.
_private: contextvars.ContextVar[tuple[str, ...]] = contextvars.ContextVar("oma_private", default=())


def keep_private(*texts: str | None) -> None:
    """Mask these texts in every report from the current job or request (its asyncio context)."""
    found = set(_private.get())
    for text in texts:
        if not text or len(text.strip()) < 3:
            continue
        found.add(text)
        found.add(repr(text)[1:-1])  # as it appears inside a repr()'d value
        # Lines on their own: an exception or a log line may quote one line of a description.
        found.update(line.strip() for line in text.splitlines() if len(line.strip()) >= 8)
    # Longest first, so a text is masked whole before any line of it.
    _private.set(tuple(sorted(found, key=len, reverse=True)))


class Scrubber:
    """sentry-sdk's `before_send`: what leaves has no secret, no user text, no request body."""

    def __init__(self, settings: Settings) -> None:
        self.redact = Redactor(settings)

    def __call__(self, event: dict[str, Any], hint: dict[str, Any] | None = None) -> dict[str, Any]:
        request = event.get("request")
        if isinstance(request, dict):
            headers = request.get("headers") or {}
            event["request"] = {
                "method": request.get("method"),
                "url": str(request.get("url", "")).split("?", 1)[0],
                "headers": {k: v for k, v in headers.items() if k.lower() in SAFE_HEADERS},
            }
        job = (event.get("extra") or {}).get("arq-job")
        if isinstance(job, dict):
            job["args"] = job["kwargs"] = FILTERED
        for part in ("exception", "threads"):
            for value in (event.get(part) or {}).get("values") or []:
                for frame in (value.get("stacktrace") or {}).get("frames") or []:
                    frame.pop("vars", None)
        private = _private.get()
        for part in TEXT_PARTS:
            if part in event:
                event[part] = self._clean(event[part], private)
        return event

    def _clean(self, value: Any, private: tuple[str, ...]) -> Any:
        if isinstance(value, str):
            for text in private:
                value = value.replace(text, REDACTED)
            return self.redact(value)
        if isinstance(value, dict):
            return {k: self._clean(v, private) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self._clean(v, private) for v in value]
        return value


def init_error_reporting(settings: Settings, role: str) -> bool:
    """Start reporting to Sentry if SENTRY_DSN is set; True if it did.

    Call once per process, after `bot.logs.setup_logging` (which removes every loguru sink,
    Sentry's included). `role` ("web", "worker", "dev") becomes a tag on every event.
    """
    if settings.sentry_dsn is None or not settings.sentry_dsn.get_secret_value():
        return False
    try:
        import sentry_sdk
        from sentry_sdk.integrations.aiohttp import AioHttpIntegration
        from sentry_sdk.integrations.arq import ArqIntegration
        from sentry_sdk.integrations.loguru import LoguruIntegration
    except ImportError as exc:
        raise SettingsError("SENTRY_DSN is set but sentry-sdk is missing: pip install sentry-sdk") from exc
    try:
        release = f"oma-video-bot@{version('oma-video-bot')}"
    except PackageNotFoundError:  # pragma: no cover - running from a plain checkout
        release = None
    sentry_sdk.init(
        dsn=settings.sentry_dsn.get_secret_value(),
        environment=settings.env,
        release=release,
        integrations=[AioHttpIntegration(), ArqIntegration(), LoguruIntegration()],
        before_send=Scrubber(settings),  # type: ignore[arg-type]
        send_default_pii=False,
        include_local_variables=False,  # locals hold tokens and briefings
        max_request_body_size="never",  # Slack's payloads carry the briefing
    )
    sentry_sdk.set_tag("role", role)
    return True
