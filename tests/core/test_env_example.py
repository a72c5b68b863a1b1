"""Every setting is documented in .env.example, and the file's values load as-is."""

import re
from pathlib import Path

from agent.settings import env_name
from bot.settings import Settings, load_settings

EXAMPLE = Path(__file__).resolve().parents[2] / ".env.example"


def test_every_setting_is_in_env_example() -> None:
    names = set(re.findall(r"^([A-Z][A-Z0-9_]+)=", EXAMPLE.read_text(), re.M))
    expected = {env_name(Settings, field) for field in Settings.model_fields}
    assert expected == names


def test_env_example_loads(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(EXAMPLE.read_text())
    settings = load_settings()
    assert settings.is_offline and settings.openai_api_key is None
