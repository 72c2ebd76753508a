"""Secrets from files (NAME_FILE, the Docker and Kubernetes secrets convention), never logged."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from loguru import logger

from bot.logs import setup_logging
from bot.settings import SECRET_FILE_FIELDS, SettingsError, load_settings

BOT_TOKEN = "xoxb-4444444444-5555555555-FromAFileNotTheEnv"
# No known shape: only its value, read from the file, can get it redacted.
OPENAI_KEY = "plum-orchard-7Q2"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in SECRET_FILE_FIELDS:
        monkeypatch.delenv(name.upper(), raising=False)
        monkeypatch.delenv(f"{name.upper()}_FILE", raising=False)


@pytest.mark.parametrize("way", ["env", "file"])
def test_a_secret_from_the_environment_or_a_file(way: str, tmp_path: Path, monkeypatch) -> None:
    if way == "env":
        monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    else:
        secret = tmp_path / "slack_bot_token"
        secret.write_text(BOT_TOKEN + "\n")  # as `kubectl create secret --from-file` leaves it
        monkeypatch.setenv("SLACK_BOT_TOKEN_FILE", str(secret))
    settings = load_settings(_env_file=None)
    assert settings.slack_bot_token is not None
    assert settings.slack_bot_token.get_secret_value() == BOT_TOKEN


def test_file_secrets_from_dotenv_and_never_logged(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "bot").write_text(BOT_TOKEN)
    (tmp_path / "openai").write_text(OPENAI_KEY)
    dotenv = tmp_path / ".env"
    dotenv.write_text(f"SLACK_BOT_TOKEN_FILE={tmp_path / 'bot'}\nOPENAI_API_KEY_FILE={tmp_path / 'openai'}\n")
    settings = load_settings(_env_file=dotenv, log_format="text")
    assert settings.openai_api_key is not None and settings.openai_api_key.get_secret_value() == OPENAI_KEY
    sink = io.StringIO()
    setup_logging(settings, sink=sink)
    logger.info("settings: {!r}", settings)
    logger.info("calling with key {} and token {}", OPENAI_KEY, BOT_TOKEN)
    try:
        raise RuntimeError(f"refused {OPENAI_KEY}")
    except RuntimeError:
        logger.exception("the call failed")
    out = sink.getvalue()
    assert "settings: " in out and out.count("[redacted]") >= 3, out
    assert OPENAI_KEY not in out and BOT_TOKEN not in out


def test_both_ways_at_once_or_an_unreadable_file_fail_clearly(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "token").write_text(BOT_TOKEN)
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-another-one")
    monkeypatch.setenv("SLACK_BOT_TOKEN_FILE", str(tmp_path / "token"))
    with pytest.raises(SettingsError, match="SLACK_BOT_TOKEN and SLACK_BOT_TOKEN_FILE are both set") as both:
        load_settings(_env_file=None)
    monkeypatch.delenv("SLACK_BOT_TOKEN")
    monkeypatch.setenv("SLACK_BOT_TOKEN_FILE", str(tmp_path / "missing"))
    with pytest.raises(
        SettingsError, match=r"SLACK_BOT_TOKEN_FILE names .*missing, which cannot be read"
    ) as gone:
        load_settings(_env_file=None)
    assert BOT_TOKEN not in str(both.value) + str(gone.value)
