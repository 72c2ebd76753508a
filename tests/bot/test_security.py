"""Secrets never reach logs, Slack messages or /health; settings fail with one clear message."""

from __future__ import annotations

import io
import json

import pytest
from loguru import logger

from bot.logs import setup_logging
from bot.settings import Settings, SettingsError, load_settings

TOKENS = {
    "slack_bot_token": "xoxb-2222222222-3333333333-ZyXwVuTsRqPoNmLkJiHgFeDc",
    "slack_app_token": "xapp-1-A0123456789-1234567890123-abcdefabcdef0123",
    "slack_signing_secret": "0123456789abcdef0123456789abcdef",
    "openai_api_key": "sk-proj-" + "Q" * 48,
}


@pytest.mark.parametrize("fmt", ["json", "text"])
def test_no_secret_in_any_log_path(fmt: str) -> None:
    sink = io.StringIO()
    settings = Settings(**TOKENS, log_format=fmt, _env_file=None)
    setup_logging(settings, sink=sink)
    for name, secret in TOKENS.items():
        logger.info("plain message with {} = {}", name, secret)
        logger.bind(header=f"Bearer {secret}").warning("bound extra")
        with logger.contextualize(task=secret):
            logger.error("in a task context")
        try:
            raise RuntimeError(f"boom {secret}")
        except RuntimeError:
            logger.exception("an exception")
    # Shapes alone are caught too, even when not configured.
    logger.info("other token xoxb-9999999999-8888888888-abcdefghijklmnop and sk-abcdefghijklmnopqrstuvwxyz")
    out = sink.getvalue()
    assert out.count("[redacted]") >= len(TOKENS) * 3
    for secret in [*TOKENS.values(), "xoxb-9999999999-8888888888", "sk-abcdefghijklmnopqrstuvwxyz"]:
        assert secret not in out
    if fmt == "json":
        assert all(json.loads(line) for line in out.splitlines() if line.strip())


def test_settings_repr_hides_secrets() -> None:
    text = repr(Settings(**TOKENS, _env_file=None))
    assert not any(secret in text for secret in TOKENS.values())


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({}, "SLACK_BOT_TOKEN is missing"),
        ({"slack_bot_token": "xoxp-user-token-123"}, "not a bot token"),
        ({"slack_bot_token": TOKENS["slack_bot_token"]}, "SLACK_SIGNING_SECRET is missing"),
        ({"slack_bot_token": TOKENS["slack_bot_token"], "slack_app_token": "xoxb-wrong"}, "app-level token"),
    ],
)
def test_missing_slack_settings_name_the_variable(overrides: dict, expected: str) -> None:
    with pytest.raises(SettingsError, match=expected):
        Settings(**overrides, _env_file=None).require_slack()


def test_invalid_setting_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OMA_RATE_PER_MINUTE", "lots")
    with pytest.raises(SettingsError, match="OMA_RATE_PER_MINUTE is invalid"):
        load_settings(_env_file=None)


def test_env_example_loads_as_it_is_and_lists_are_comma_separated(
    tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pathlib import Path

    example = Path(__file__).parents[2] / ".env.example"
    (tmp_path / ".env").write_text(example.read_text())
    monkeypatch.chdir(tmp_path)
    assert load_settings().admins == []  # `OMA_ADMINS=` as the example has it
    monkeypatch.setenv("OMA_ADMINS", "U1, U2")
    monkeypatch.setenv("OMA_APPROVERS", "S123")
    loaded = load_settings()
    assert (loaded.admins, loaded.approvers) == (["U1", "U2"], ["S123"])
