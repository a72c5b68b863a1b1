"""``CONFAB_ROLE``: what each process of a scaled deployment runs, and the settings it needs."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.errors import ConfigError
from bot.app import platforms_for_role
from tests.fakes.settings import make_settings

SCALED = {"database_url": "postgresql://127.0.0.1/test", "redis_url": "redis://127.0.0.1:6379/15"}


@pytest.mark.parametrize(("role", "slack_mode", "expected"), [
    ("all", "http", ["slack", "discord"]),
    ("worker", "http", ["slack", "discord"]),  # sends on both (without taking events)
    ("ingress", "http", ["slack"]),
    ("ingress", "socket", []),  # Socket Mode is a connection: the gateway's
    ("gateway", "socket", ["slack", "discord"]),
    ("gateway", "http", ["discord"]),
    ("indexer", "http", []),
])
def test_each_role_runs_its_platforms(tmp_path: Path, role: str, slack_mode: str, expected: list[str]) -> None:
    settings = make_settings(tmp_path, role=role, slack_mode=slack_mode, **SCALED)
    assert platforms_for_role(settings, ["slack", "discord"]) == expected


def test_a_part_of_a_scaled_deployment_needs_the_shared_database(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="CONFAB_ROLE=worker is one part of a scaled deployment"):
        make_settings(tmp_path, role="worker")
    with pytest.raises(ConfigError, match="CONFAB_ROLE"):
        make_settings(tmp_path, role="cook", **SCALED)
    assert make_settings(tmp_path, role="worker", **SCALED).role == "worker"
