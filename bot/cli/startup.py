"""What every ``confab`` command does first: read the settings, and check what can be checked offline.

A bad setting, a model that cannot work here (its package or key missing) or a malformed platform
token exits 2 at once, naming the fix, instead of starting half way.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer

from agent.errors import ConfabError, ConfigError

if TYPE_CHECKING:
    from bot.settings import Settings


def load_settings_or_exit(**overrides: Any) -> Settings:
    """Settings for a CLI command; a bad value exits with the message naming the variable."""
    from bot.settings import load_settings

    try:
        return load_settings(**overrides)
    except ConfabError as exc:
        typer.echo(f"confab: {exc}", err=True)
        raise typer.Exit(2) from None


def check_startup_or_exit(settings: Settings, platforms: list[str] | None = None) -> None:
    """Exit 2 with the fix when CONFAB_MODEL cannot work here or a platform token is malformed."""
    from agent.models import check_chat_model
    from bot.cli.token_checks import platform_problems

    problems: list[str] = []
    try:
        check_chat_model(settings)
    except ConfigError as exc:
        problems.append(str(exc))
    wanted = tuple(p.upper() for p in platforms or [])  # SLACK_*, DISCORD_* checks of the platforms started
    for check in platform_problems(settings, strict=False):
        if not check.ok and check.name.startswith(wanted):
            problems.append(f"{check.name} {check.found}; {check.fix}")
    for problem in problems:
        typer.echo(f"confab: {problem}", err=True)
    if problems:
        typer.echo("confab: `confab doctor` checks the whole configuration", err=True)
        raise typer.Exit(2)
