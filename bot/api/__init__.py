"""The HTTP API under /api/v1: the same videos as Slack, for any program with a key."""

from __future__ import annotations

from typing import Any


def register(app: Any, deps: Any) -> None:
    """Add the API's routes, docs and middlewares to the web app (before it starts)."""
    from bot.api.app import register as _register

    _register(app, deps)
