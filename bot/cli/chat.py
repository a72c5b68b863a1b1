"""``confab chat``: the offline console chat in the terminal (the console adapter)."""

from __future__ import annotations

import asyncio
import os
from typing import TYPE_CHECKING, Annotated

import typer

from agent.errors import ConfabError, ConfigError
from bot.cli.startup import check_startup_or_exit, load_settings_or_exit

if TYPE_CHECKING:
    from bot.settings import Settings


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
    from bot.digests import run_digests

    deps, pipeline = await build_app(settings)
    adapter = ConsoleAdapter(settings.data_dir, settings.bot_name, user=user)
    pipeline.attach(adapter)
    if adapter.interactive:
        background = await start_background(deps)
        background.append(asyncio.create_task(run_digests(deps, pipeline.outbox, [adapter]), name="confab-digests"))
    else:  # piped questions: each answered from the documents, so read them first
        background = []
        await deps.knowledge.prepare()
    try:
        await adapter.start(pipeline, pipeline.outbox)
    finally:
        for task in background:
            task.cancel()
        await pipeline.drain()
        await deps.close()
