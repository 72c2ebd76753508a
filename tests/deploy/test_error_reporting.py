"""Sentry: each failure reaches a loopback receiver once, with no token and no briefing text."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from bot.embedded_redis import EmbeddedRedis
from tests.deploy.support import DESCRIPTION, ROOT, TITLE, TOKEN, SentryReceiver


def _run(code: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    # A process of its own, as in production: sentry-sdk sets itself up once per process.
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_one_scrubbed_event_per_failure(tmp_path: Path) -> None:
    server = EmbeddedRedis(tmp_path / "redis")
    server.start()
    try:
        with SentryReceiver() as receiver:
            done = _run(
                f"from tests.deploy.support import report_failures as r; r({server.url!r}, {receiver.dsn!r})",
                {},
            )
            assert done.returncode == 0, done.stderr[-3000:]
            events = receiver.events()
            raw = b"\n".join(receiver.bodies).decode()
    finally:
        server.stop()

    def kind(event: dict) -> str:
        values = (event.get("exception") or {}).get("values") or []
        if values:
            return f"{values[-1]['type']}/{values[-1]['mechanism']['type']}"
        return "log" if "unexpected failure" in event["logentry"]["message"] else "other"

    kinds = sorted(kind(e) for e in events)
    # The raised job (arq), the logged one (loguru), the failed request (aiohttp); the good job: none.
    assert kinds == ["RuntimeError/aiohttp", "RuntimeError/arq", "log"], kinds
    for secret in (TOKEN, TITLE, DESCRIPTION, *DESCRIPTION.splitlines(), "Nightjar"):
        assert secret not in raw, f"{secret!r} was sent to Sentry"
    text = json.dumps(events)
    assert "[redacted]" in text  # the masked places are still there, so the reports still say something
    assert all(e["tags"]["role"] == "worker" and e["environment"] == "production" for e in events)
    web = next(e for e in events if kind(e).endswith("aiohttp"))
    assert "data" not in web["request"] and "?" not in web["request"]["url"]
    assert {h.lower() for h in web["request"]["headers"]} <= {"user-agent", "content-type", "content-length"}


def test_nothing_is_loaded_without_a_dsn() -> None:
    done = _run(
        "import sys\n"
        "from bot.error_reporting import init_error_reporting\n"
        "from bot.settings import Settings\n"
        "assert init_error_reporting(Settings(_env_file=None), 'web') is False\n"
        "print(sorted(m for m in sys.modules if m.startswith('sentry')))\n",
        {"SENTRY_DSN": ""},
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
