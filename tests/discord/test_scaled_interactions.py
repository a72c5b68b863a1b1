"""The scaled mode on Discord: the gateway process defers an interaction and records it with a ``command`` job
(one transaction); a worker with no gateway connection answers it through the interaction's webhook."""

from __future__ import annotations

import asyncio
from typing import Any

from langchain_core.messages import AIMessage

from tests.fakes.discord import FakeDiscord, discord_settings
from tests.fakes.scripted_model import ScriptedModel
from tests.fakes.waiting import until
from tests.services import RedisTarget


async def test_an_interaction_taken_by_the_gateway_is_answered_by_a_worker(
        postgres_url: str, redis_target: RedisTarget, tmp_path: Any, fake_discord: FakeDiscord,
        bot_factory: Any) -> None:
    from bot.discord.adapter import DiscordAdapter

    scaled = {"database_url": postgres_url, "redis_url": redis_target.url, "redis_prefix": redis_target.prefix}
    gateway_settings = discord_settings(tmp_path, fake_discord, role="gateway", **scaled)
    gateway = await bot_factory(ScriptedModel(steps=[AIMessage("from the gateway")]), settings=gateway_settings,
                                adapter=DiscordAdapter(gateway_settings, guild_ready_timeout=0.05))
    worker_settings = discord_settings(tmp_path, fake_discord, role="worker", **scaled)
    await bot_factory(ScriptedModel(steps=[AIMessage("Deploy with `make deploy`.")]), settings=worker_settings,
                      adapter=DiscordAdapter(worker_settings, listen=False))
    assert len(fake_discord.identifies) == 1  # only the gateway joined

    payload = fake_discord.interaction("ask", [{"name": "question", "type": 3, "value": "how do I deploy?"}])
    await fake_discord.dispatch("INTERACTION_CREATE", payload)
    await until(lambda: fake_discord.followups(), 30, "the worker's follow-up")
    [followup] = fake_discord.followups()
    assert "make deploy" in followup.content
    for _ in range(50):
        if not await gateway.pipeline.store.pending_commands.owed():
            break
        await asyncio.sleep(0.1)
    assert await gateway.pipeline.store.pending_commands.owed() == []
