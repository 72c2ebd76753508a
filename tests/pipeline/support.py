"""Helpers the pipeline tests share: loopback model servers and `oma render` run in-process."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from bot.cli import main as oma
from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.server import ThreadedServer


@contextmanager
def model_server(**kw: object) -> Iterator[tuple[FakeOpenAI, str]]:
    """A FakeOpenAI on loopback and its base URL (ending in /v1, as OPENAI_BASE_URL does)."""
    fake = FakeOpenAI(**kw)  # type: ignore[arg-type]
    with ThreadedServer(fake.app()) as server:
        yield fake, server.url + "/v1"


def oma_render(monkeypatch: pytest.MonkeyPatch, tmp, env: dict[str, str], *args: str) -> int:
    """`oma render` as a person runs it: settings from the environment only (no .env, no OPENAI_*
    or OMA_* of the machine), in `tmp`."""
    import os

    for name in list(os.environ):
        if name.startswith(("OPENAI_", "OMA_", "SLACK_", "REDIS_", "PEXELS_")):
            monkeypatch.delenv(name)
    for name, value in {"OMA_WORK_DIR": str(tmp / "work"), **env}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp)
    return oma(["render", *args])
