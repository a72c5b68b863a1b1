"""Discord fixtures: the loopback fake REST API + gateway, and a running DiscordAdapter on the real pipeline."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
import yarl

from tests.fakes.discord import FakeDiscord, discord_settings


@pytest.fixture
async def fake_discord(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeDiscord]:
    import discord.gateway

    fake = FakeDiscord()
    await fake.start()
    # REST goes there per client (DISCORD_API_BASE_URL in discord_settings); discord.py keeps the
    # gateway address as a class attribute, restored after the test
    monkeypatch.setattr(discord.gateway.DiscordWebSocket, "DEFAULT_GATEWAY", yarl.URL(fake.gateway_url))
    yield fake
    await fake.stop()


StartDiscord = Callable[..., Awaitable[tuple[Any, Any]]]


@pytest.fixture
async def discord_bot(tmp_path: Path, fake_discord: FakeDiscord) -> AsyncIterator[StartDiscord]:
    """``adapter, pipeline = await discord_bot(model)``: bot.app's pipeline on a connected DiscordAdapter."""
    from bot.app import build_app
    from bot.discord.adapter import DiscordAdapter

    running: list[tuple[Any, Any, Any, asyncio.Task[None]]] = []

    async def start(model: Any = None, **overrides: Any) -> tuple[Any, Any]:
        settings = discord_settings(tmp_path, fake_discord, **overrides)
        deps, pipeline = await build_app(settings, chat_model=model)
        adapter = DiscordAdapter(settings, guild_ready_timeout=0.05)
        pipeline.attach(adapter)
        task = asyncio.create_task(adapter.start(pipeline, pipeline.outbox))
        running.append((adapter, deps, pipeline, task))
        ready = asyncio.create_task(adapter.ready.wait())
        await asyncio.wait({task, ready}, timeout=15, return_when=asyncio.FIRST_COMPLETED)
        if task.done():
            ready.cancel()
            task.result()
        assert adapter.ready.is_set(), "the discord adapter did not become ready"
        return adapter, pipeline

    yield start
    for adapter, deps, pipeline, task in running:
        await adapter.close()
        await asyncio.wait_for(task, 10)
        await pipeline.drain()
        await deps.close()
