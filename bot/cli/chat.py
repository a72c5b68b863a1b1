"""``confab chat``: the offline console chat in the terminal (the console adapter)."""

from __future__ import annotations

import asyncio
import os
from typing import TYPE_CHECKING, Annotated, Any

import typer

from agent.errors import ConfabError, ConfigError
from bot.cli.startup import check_startup_or_exit, load_settings_or_exit

if TYPE_CHECKING:
    from bot.app import StopSignals
    from bot.console.adapter import ConsoleAdapter
    from bot.pipeline import Pipeline
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
        forced = asyncio.run(_chat(settings, user))
    except ConfigError as exc:
        typer.echo(f"confab: {exc}", err=True)
        raise typer.Exit(2) from None
    except ConfabError as exc:
        typer.echo(f"confab: {exc.user_message} ({exc})", err=True)
        raise typer.Exit(1) from None
    except KeyboardInterrupt:  # before the stop signals are handled (while starting)
        raise typer.Exit(130) from None
    if forced:  # a second Ctrl-C / SIGTERM
        typer.echo("confab: stopped without waiting for the answer in flight", err=True)
        raise typer.Exit(130)


async def _chat(settings: Settings, user: str) -> bool:
    """The console chat until its input ends or a stop; True when a second signal cut the stop short."""
    from bot.app import StopSignals, build_app, start_background
    from bot.console.adapter import ConsoleAdapter
    from bot.digests import run_digests

    deps, pipeline = await build_app(settings)
    stop = StopSignals()  # SIGTERM or Ctrl-C: read no more, let the answer in flight finish; a second one ends it
    stopping = asyncio.create_task(stop.requested.wait(), name="confab-stop")
    adapter = ConsoleAdapter(settings.data_dir, settings.bot_name, user=user)
    pipeline.attach(adapter)
    background: list[asyncio.Task[Any]] = []
    try:
        if adapter.interactive:
            background = await start_background(deps)
            background.append(asyncio.create_task(run_digests(deps, pipeline.outbox, [adapter]),
                                                  name="confab-digests"))
        else:  # piped questions: each answered from the documents, so read them first
            background.append(asyncio.create_task(deps.knowledge.prepare(), name="confab-knowledge-prepare"))
            await asyncio.wait([background[-1], stopping], return_when=asyncio.FIRST_COMPLETED)
        if not stop.requested.is_set():
            await _chat_until_stopped(adapter, pipeline, stop, stopping, settings.shutdown_grace_s)
    finally:
        stopping.cancel()
        for task in background:
            task.cancel()
        await pipeline.drain()
        await deps.close()
    return stop.forced


async def _chat_until_stopped(adapter: ConsoleAdapter, pipeline: Pipeline, stop: StopSignals,
                              stopping: asyncio.Task[Any], grace_s: float) -> None:
    """The console reads and answers until its input ends; on a stop it reads no further line and the answer in
    flight gets ``grace_s`` to finish."""
    chatting = asyncio.create_task(adapter.start(pipeline, pipeline.outbox), name="confab-console")
    stop.cut_short.append(chatting)
    await asyncio.wait([chatting, stopping], return_when=asyncio.FIRST_COMPLETED)
    if stop.requested.is_set():
        adapter.stop()
        done, _ = await asyncio.wait([chatting], timeout=max(1.0, grace_s))
        if not done:
            chatting.cancel()
        await asyncio.gather(chatting, return_exceptions=True)
    elif (error := chatting.exception()) is not None:
        raise error
