"""Core CLI commands: ``confab chat`` and ``confab run`` (``confab doctor`` is :mod:`bot.cli_doctor`).

Both check the configuration that can be checked without the network before anything opens (the
model's package and key, the platform tokens' shape) and exit 2 at once, naming the fix, instead of
starting half way.
"""

from __future__ import annotations

import asyncio
import os
from typing import TYPE_CHECKING, Annotated, Any

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
    from bot.token_checks import platform_problems

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


def chat(
    user: Annotated[str, typer.Option(help="Who you are in the chat.")] = os.environ.get("USER", "you") or "you",
) -> None:
    """Chat with Confab in the terminal (offline unless CONFAB_MODEL is set). Pipe lines in to script it."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    settings = load_settings_or_exit()
    check_startup_or_exit(settings)
    from bot.logs import setup_logging

    setup_logging(settings.log_level, settings.data_dir / "confab.log")
    try:
        asyncio.run(_chat(settings, user))
    except ConfigError as exc:
        typer.echo(f"confab: {exc}", err=True)
        raise typer.Exit(2) from None
    except ConfabError as exc:
        typer.echo(f"confab: {exc.user_message} ({exc})", err=True)
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        pass


async def _chat(settings: Settings, user: str) -> None:
    from bot.app import build_app, start_background
    from bot.console.adapter import ConsoleAdapter

    deps, pipeline = await build_app(settings)
    adapter = ConsoleAdapter(settings.data_dir, settings.bot_name, user=user)
    pipeline.attach(adapter)
    background = await start_background(deps) if adapter.interactive else []
    try:
        await adapter.start(pipeline)
    finally:
        for task in background:
            task.cancel()
        await pipeline.drain()
        await deps.close()


def run(
    platform: Annotated[list[str] | None, typer.Option(help="slack and/or discord; default: every platform "
                                                           "whose tokens are set.")] = None,
) -> None:
    """Run Confab on Slack and/or Discord. With no platform tokens set, starts the console chat."""
    settings = load_settings_or_exit()
    from bot.app import configured_platforms, run_platforms
    from bot.logs import setup_logging

    platforms = platform or configured_platforms(settings)
    if not platforms:
        typer.echo("No SLACK_BOT_TOKEN or DISCORD_TOKEN set: starting the offline console chat.", err=True)
        return chat()
    unknown = [p for p in platforms if p not in ("slack", "discord")]
    if unknown:
        typer.echo(f"confab: unknown platform {unknown[0]!r}; use slack or discord", err=True)
        raise typer.Exit(2)
    check_startup_or_exit(settings, platforms)
    setup_logging(settings.log_level)
    try:
        forced = asyncio.run(run_platforms(settings, platforms))
    except ConfabError as exc:
        typer.echo(f"confab: {exc}", err=True)
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        forced = True
    if forced:  # a second Ctrl-C / SIGTERM
        typer.echo("confab: stopped without waiting for answers in flight", err=True)
        raise typer.Exit(130)


def register(app: typer.Typer, eval_app: typer.Typer) -> None:
    app.command()(chat)
    app.command()(run)
