"""``confab run``: Confab on Slack and/or Discord; with no platform tokens set, the console chat."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from agent.errors import ConfabError
from bot.cli.chat import chat
from bot.cli.startup import check_startup_or_exit, load_settings_or_exit

ROLE_NEEDS = {
    "ingress": "it takes Slack's HTTP requests (set SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET and SLACK_MODE=http)",
    "gateway": "it holds Discord's gateway (DISCORD_TOKEN) or Slack's Socket Mode (SLACK_MODE=socket)",
    "worker": "it answers on Slack or Discord (set SLACK_BOT_TOKEN and/or DISCORD_TOKEN)",
}


def run(
    platform: Annotated[list[str] | None, typer.Option(help="slack and/or discord; default: every platform "
                                                           "whose tokens are set.")] = None,
) -> None:
    """Run Confab on Slack and/or Discord. With no platform tokens set, starts the console chat."""
    settings = load_settings_or_exit()
    from bot.app import configured_platforms, platforms_for_role, run_platforms
    from bot.logs import setup_logging

    platforms = platform or configured_platforms(settings)
    if not platforms and settings.role == "all":
        typer.echo("No SLACK_BOT_TOKEN or DISCORD_TOKEN set: starting the offline console chat.", err=True)
        return chat()
    unknown = [p for p in platforms if p not in ("slack", "discord")]
    if unknown:
        typer.echo(f"confab: unknown platform {unknown[0]!r}; use slack or discord", err=True)
        raise typer.Exit(2)
    platforms = platforms_for_role(settings, platforms)
    if not platforms and settings.role in ("ingress", "gateway", "worker"):
        typer.echo(f"confab: CONFAB_ROLE={settings.role} has nothing to run: {ROLE_NEEDS[settings.role]}", err=True)
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
