"""An answer sent twice to Discord (resumed after a crash, a job run twice) creates one message: each part
carries a nonce derived from what it answers, sent with ``enforce_nonce``."""

from __future__ import annotations

from typing import Any

from bot.events import ChannelRef, Reply
from tests.fakes.discord import GENERAL_ID, GUILD_ID, FakeDiscord


async def test_the_same_answer_sent_twice_is_one_message(discord_bot: Any, fake_discord: FakeDiscord) -> None:
    adapter, _ = await discord_bot()
    where = ChannelRef("discord", str(GUILD_ID), str(GENERAL_ID))
    reply = Reply(where, "the answer", source="answer:discord:G:C:42")

    first = await adapter.send(reply)
    second = await adapter.send(reply)
    assert first.message_id == second.message_id
    created = [m for m in fake_discord.messages.get(GENERAL_ID, []) if m["content"] == "the answer"]
    assert len(created) == 1
    bodies = [r.json for r in fake_discord.posted(GENERAL_ID)]
    assert len(bodies) == 2 and all(b["enforce_nonce"] is True for b in bodies)
    assert bodies[0]["nonce"] == bodies[1]["nonce"] and len(bodies[0]["nonce"]) <= 25

    other = await adapter.send(Reply(where, "the answer", source="answer:discord:G:C:43"))
    assert other.message_id != first.message_id


async def test_a_reply_without_a_source_has_no_nonce(discord_bot: Any, fake_discord: FakeDiscord) -> None:
    adapter, _ = await discord_bot()
    where = ChannelRef("discord", str(GUILD_ID), str(GENERAL_ID))
    await adapter.send(Reply(where, "note"))
    await adapter.send(Reply(where, "note"))
    assert len([m for m in fake_discord.messages.get(GENERAL_ID, []) if m["content"] == "note"]) == 2


async def test_a_worker_sends_over_rest_without_a_gateway_connection(tmp_path: Any, fake_discord: FakeDiscord,
                                                                   bot_factory: Any) -> None:
    from bot.discord.adapter import DiscordAdapter
    from tests.fakes.discord import discord_settings

    settings = discord_settings(tmp_path, fake_discord)
    adapter = DiscordAdapter(settings, listen=False)
    bot = await bot_factory(settings=settings, adapter=adapter)
    sent = await bot.adapter.send(Reply(ChannelRef("discord", str(GUILD_ID), str(GENERAL_ID)), "from a worker"))
    assert sent.message_id and fake_discord.identifies == []  # REST only: it never joined the gateway
    assert [m["content"] for m in fake_discord.messages[GENERAL_ID]] == ["from a worker"]
