"""Start-up with Slack or Redis unreachable, or Slack answering garbage: one sentence, exit non-zero."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from aiohttp import web

from tests.bot.support import BOT_TOKEN, SECRET
from tests.conftest import free_port
from tests.fakes.server import ThreadedServer


def garbage() -> web.Application:
    """A server that answers every path with an HTML page, as a captive proxy would."""

    async def page(_request: web.Request) -> web.Response:
        return web.Response(
            text="<html><body>Please log in to the proxy</body></html>", content_type="text/html"
        )

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", page)
    return app


def errors(stderr: str) -> list[str]:
    """The lines that report a failure: the one sentence, and any traceback or logged error
    (start-up notes, such as which backend each agent uses, may stand beside them)."""
    return [
        line
        for line in stderr.splitlines()
        if line.startswith(("error:", "Traceback", "  File")) or " ERROR " in line or "Error:" in line
    ]


def start(command: list[str], tmp: Path, **env: str) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "REDIS_", "OMA_", "OPENAI_"))}
    base.update(
        {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SECRET, "OMA_LOG_FORMAT": "text", **env}
    )
    return subprocess.run(command, env=base, cwd=tmp, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("command", [["-m", "bot", "web"], ["-m", "bot", "worker"], ["-m", "bot", "dev"]])
def test_slack_unreachable_is_one_sentence(command: list[str], redis_server, tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}/api/"  # nothing listens there
    env = {"SLACK_API_URL": url}
    if command[-1] != "dev":
        env["REDIS_URL"] = redis_server.url
    done = start([sys.executable, *command], tmp_path, **env)
    assert done.returncode != 0
    assert "Traceback" not in done.stderr and BOT_TOKEN not in done.stderr
    lines = errors(done.stderr)
    assert len(lines) == 1 and url in lines[0] and "could not be reached" in lines[0], done.stderr


def test_slack_answering_garbage_is_one_sentence(redis_server, tmp_path: Path) -> None:
    with ThreadedServer(garbage()) as proxy:
        url = proxy.url + "/api/"
        done = start(
            [sys.executable, "-m", "bot", "web"], tmp_path, SLACK_API_URL=url, REDIS_URL=redis_server.url
        )
    assert done.returncode != 0 and "Traceback" not in done.stderr
    lines = errors(done.stderr)
    assert len(lines) == 1 and url in lines[0] and "Slack" in lines[0], done.stderr


def test_redis_unreachable_is_one_sentence(tmp_path: Path) -> None:
    url = f"redis://:hunter2@127.0.0.1:{free_port()}/0"
    done = start([sys.executable, "-m", "bot", "worker"], tmp_path, REDIS_URL=url)
    assert done.returncode != 0 and "Traceback" not in done.stderr and "hunter2" not in done.stderr
    lines = errors(done.stderr)
    assert len(lines) == 1 and "Redis at redis://:***@127.0.0.1" in lines[0], done.stderr
