"""Settings for a test or benchmark app: everything under ``tmp_path``, the folder watcher off."""

from __future__ import annotations

from typing import Any


def make_settings(tmp_path: Any, **overrides: Any) -> Any:
    from bot.settings import load_settings

    knowledge = tmp_path / "knowledge"
    knowledge.mkdir(exist_ok=True)
    values: dict[str, Any] = {"data_dir": tmp_path / "data", "knowledge_dir": knowledge, "knowledge_watch": False}
    values.update(overrides)
    return load_settings(**values)
