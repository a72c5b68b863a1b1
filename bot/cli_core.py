"""Core CLI commands: ``confab chat``, ``confab run`` and ``confab doctor``."""

from __future__ import annotations

import asyncio
import os
import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer

from agent.errors import ConfabError

if TYPE_CHECKING:
    from agent.settings import Settings


def load_settings_or_exit(**overrides: Any) -> Settings:
    """Settings for a CLI command; a bad value exits with the message naming the variable."""
    from agent.settings import load_settings

    try:
        return load_settings(**overrides)
    except ConfabError as exc:
        typer.echo(f"confab: {exc}", err=True)
        raise typer.Exit(2) from None


def chat(
    user: Annotated[str, typer.Option(help="Who you are in the chat.")] = os.environ.get("USER", "you") or "you",
) -> None:
    """Chat with Confab in the terminal (offline unless CONFAB_MODEL is set). Pipe lines in to script it."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    settings = load_settings_or_exit()
    from bot.logs import setup_logging

    setup_logging(settings.log_level, settings.data_dir / "confab.log")
    try:
        asyncio.run(_chat(settings, user))
    except ConfabError as exc:
        typer.echo(f"confab: {exc.user_message} ({exc})", err=True)
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        pass


async def _chat(settings: Settings, user: str) -> None:
    from bot.app import build_app, start_background
    from bot.console.adapter import ConsoleAdapter

    services, pipeline = await build_app(settings)
    adapter = ConsoleAdapter(settings.data_dir, settings.bot_name, user=user)
    pipeline.attach(adapter)
    background = await start_background(services) if adapter.interactive else []
    try:
        await adapter.start(pipeline)
    finally:
        for task in background:
            task.cancel()
        await pipeline.drain()
        await services.close()


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
    setup_logging(settings.log_level)
    try:
        asyncio.run(run_platforms(settings, platforms))
    except ConfabError as exc:
        typer.echo(f"confab: {exc}", err=True)
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        pass


def doctor() -> None:
    """Check settings, storage and the offline models; print what is configured (never secrets)."""
    settings = load_settings_or_exit()
    ok = True
    typer.echo(f"model:        {settings.model}")
    typer.echo(f"database:     {settings.database}")
    typer.echo(f"knowledge:    {settings.knowledge_dir} ({'found' if settings.knowledge_dir.is_dir() else 'missing'})")
    for name, value in (("slack", settings.slack_bot_token), ("discord", settings.discord_token)):
        typer.echo(f"{name + ':':<13} {'token set' if value else 'not configured'}")
    try:
        from agent.embeddings import local_model_path

        typer.echo(f"embedder:     {settings.embeddings} ({local_model_path()})")
    except ImportError as exc:
        ok = False
        typer.echo(f"embedder:     MISSING ({exc})")

    async def check_db() -> int:
        from agent.memory.store import MemoryStore

        store = await MemoryStore.open(settings.database)
        try:
            return await store.count_messages()
        finally:
            await store.close()

    try:
        typer.echo(f"memory:       {asyncio.run(check_db())} messages stored")
    except ConfabError as exc:
        ok = False
        typer.echo(f"memory:       FAILED ({exc})")
    if not ok:
        sys.exit(1)


def register(app: typer.Typer, eval_app: typer.Typer) -> None:
    app.command()(chat)
    app.command()(run)
    app.command()(doctor)
