import logging
import subprocess
import sys
from pathlib import Path

import pytest

from agent.errors import ConfigError
from bot.settings import load_settings


def test_defaults_are_offline_and_safe() -> None:
    settings = load_settings()
    assert settings.is_offline
    assert settings.database == Path("data/confab.db")
    assert settings.slack_bot_token is None and settings.discord_token is None
    assert settings.spam_policy == "flag"


def test_bad_value_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONFAB_AGENT_MAX_STEPS", "many")
    with pytest.raises(ConfigError, match="CONFAB_AGENT_MAX_STEPS"):
        load_settings()


def test_bad_model_spec_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONFAB_MODEL", "gpt4")
    with pytest.raises(ConfigError, match="CONFAB_MODEL"):
        load_settings()


def test_secrets_never_in_repr_or_logs(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-very-secret")
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-very-secret")
    settings = load_settings()
    with caplog.at_level(logging.DEBUG):
        logging.getLogger("test").info("settings %s %r", settings, settings)
    assert "very-secret" not in repr(settings) + str(settings) + caplog.text
    assert settings.openai_api_key is not None
    assert settings.openai_api_key.get_secret_value() == "sk-very-secret"


def test_dotenv_is_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("CONFAB_RETENTION_DAYS=7\nCONFAB_BOT_NAME=helper\n")
    settings = load_settings()
    assert settings.retention_days == 7 and settings.bot_name == "helper"


def test_cli_fails_fast_on_bad_setting(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "CONFAB_RATE_USER_PER_MIN": "-3", "HOME": str(tmp_path)}
    result = subprocess.run([sys.executable, "-m", "bot.cli", "chat"], input="", capture_output=True, text=True,
                            env=env, cwd=tmp_path, timeout=60)
    assert result.returncode == 2
    assert "CONFAB_RATE_USER_PER_MIN" in result.stderr


def test_every_setting_can_be_overridden_by_name() -> None:
    settings = load_settings(model="openai:gpt-4.1-mini", slack_mode="http")
    assert settings.model == "openai:gpt-4.1-mini" and settings.slack_mode == "http"
