"""Discord fixtures: the loopback fake REST API + gateway, and a running DiscordAdapter on the real pipeline."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
import yarl

from tests.fakes.discord import FakeDiscord, discord_settings
from tests.fakes.harness import BotFactory


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
def discord_bot(tmp_path: Path, fake_discord: FakeDiscord, bot_factory: BotFactory) -> StartDiscord:
    """``adapter, pipeline = await discord_bot(model, **settings)``: a bot (``bot_factory``) around ``model``
    on a connected DiscordAdapter against the fakes."""
    from bot.discord.adapter import DiscordAdapter

    async def start(model: Any = None, file_hosts: Any = None, **overrides: Any) -> tuple[Any, Any]:
        settings = discord_settings(tmp_path, fake_discord, **overrides)
        hosts = {"file_hosts": file_hosts} if file_hosts is not None else {}
        adapter = DiscordAdapter(settings, guild_ready_timeout=0.05, **hosts)
        bot = await bot_factory(model, settings=settings, adapter=adapter)
        return bot.adapter, bot.pipeline

    return start
