"""Wiring: settings -> services -> pipeline (+ moderator and thread followers) -> adapters."""

from __future__ import annotations

import asyncio
import gc
import importlib
import logging
import signal
from typing import TYPE_CHECKING, Any

from agent.services import Services, open_services
from agent.settings import Settings
from bot.logs import register_secrets
from bot.pipeline import Pipeline

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

    from bot.adapter import Adapter

log = logging.getLogger(__name__)

# optional parts by dotted path "module:Class"; each takes (services)
MODERATOR = "bot.moderation:Moderator"
FOLLOWERS: dict[str, str] = {"brainstorm": "bot.brainstorm:BrainstormFollower"}


def _optional(path: str, services: Services) -> Any:
    module_name, _, class_name = path.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name != module_name:
            raise
        return None
    return getattr(module, class_name)(services)


async def build_app(settings: Settings, chat_model: BaseChatModel | None = None) -> tuple[Services, Pipeline]:
    register_secrets(settings.secret_values())
    services = await open_services(settings, chat_model=chat_model)
    followers = {kind: f for kind, path in FOLLOWERS.items() if (f := _optional(path, services)) is not None}
    moderator = _optional(MODERATOR, services)
    if moderator is not None:
        await moderator.warm_up()  # the spam model, before any platform delivers a message
    pipeline = Pipeline(services, moderator=moderator, followers=followers)
    return services, pipeline


def configured_platforms(settings: Settings) -> list[str]:
    platforms = []
    if settings.slack_bot_token is not None:
        platforms.append("slack")
    if settings.discord_token is not None:
        platforms.append("discord")
    return platforms


def make_adapter(platform: str, settings: Settings) -> Adapter:
    if platform == "slack":
        from bot.slack.adapter import SlackAdapter

        adapter: Adapter = SlackAdapter(settings)
        return adapter
    if platform == "discord":
        from bot.discord.adapter import DiscordAdapter

        adapter = DiscordAdapter(settings)
        return adapter
    raise ValueError(f"unknown platform {platform!r}; use slack or discord")


async def run_platforms(settings: Settings, platforms: list[str]) -> None:
    """Start the given platform adapters on one pipeline until cancelled."""
    adapters = [make_adapter(p, settings) for p in platforms]  # configuration errors before anything opens
    services, pipeline = await build_app(settings)
    freeze_long_lived_objects()
    background = await start_background(services)
    _stop_on_sigterm()
    try:
        async with asyncio.TaskGroup() as group:
            for adapter in adapters:
                pipeline.attach(adapter)
                group.create_task(adapter.start(pipeline), name=f"confab-{adapter.name}")
    finally:
        for adapter in adapters:
            await adapter.close()
        for task in background:
            task.cancel()
        await pipeline.drain()
        await services.close()


def freeze_long_lived_objects() -> None:
    """Take what startup built (modules, models, clients) out of the cyclic garbage collector's view.

    They live as long as the process; left in view, every full collection walks all of them and
    stops the event loop for 70-140 ms (measured with bench/slack_ack.py), long enough to push a
    Slack acknowledgement past its budget. Garbage is collected first so none is frozen with them.
    """
    gc.collect()
    gc.freeze()


def _stop_on_sigterm() -> None:
    """SIGTERM (docker stop, systemd) ends the run like Ctrl-C: adapters close, answers in flight finish."""
    task = asyncio.current_task()
    if task is None:
        return
    try:
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
    except (NotImplementedError, RuntimeError):  # not the main thread, or no signals here
        log.debug("no SIGTERM handler installed")


async def start_background(services: Services) -> list[asyncio.Task[Any]]:
    """Long-running helpers features offer as ``background(services)`` coroutines (e.g. re-indexing)."""
    tasks = []
    for name, feature in services.features.items():
        runner = getattr(feature, "background", None)
        if runner is not None:
            tasks.append(asyncio.create_task(runner(), name=f"confab-bg-{name}"))
    tasks.append(asyncio.create_task(_retention(services), name="confab-retention"))
    tasks.append(asyncio.create_task(_warm_embedder(services), name="confab-warm-embedder"))
    return tasks


async def _warm_embedder(services: Services) -> None:
    """Load the local embedding model (several seconds of CPU) now, not when the first question needs it."""
    try:
        warm_up = getattr(services.embedder, "warm_up", None)
        if warm_up is not None:
            await asyncio.to_thread(warm_up)
            freeze_long_lived_objects()  # the model's objects too
    except Exception:
        log.exception("loading the embedding model failed; it is retried on first use")


async def _retention(services: Services) -> None:
    days = services.settings.retention_days
    while days > 0:
        await asyncio.sleep(6 * 3600)
        try:
            await services.memory.prune(days)
        except Exception:
            log.exception("retention prune failed")
