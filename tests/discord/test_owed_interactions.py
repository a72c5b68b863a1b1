"""Durable interactions: recorded (with their token) before the deferral, settled when answered; after a
restart, an owed one is answered through the interaction webhook while its token lasts, and let go after."""

from __future__ import annotations

import logging
import time
from typing import Any

import pytest
from langchain_core.messages import AIMessage

from agent.storage.ports import PendingCommand
from bot import messages as say
from bot.discord.owed import InteractionRoute
from bot.events import Author, ChannelRef, Command
from bot.pipeline.owed_commands import command_to_json
from tests.fakes.discord import ALICE_ID, BOT_ID, GENERAL_ID, GUILD_ID, FakeDiscord, settle
from tests.fakes.scripted_model import ScriptedModel
from tests.fakes.waiting import until

HERE = ChannelRef("discord", str(GUILD_ID), str(GENERAL_ID))
EPHEMERAL = 1 << 6


async def _owe(pipeline: Any, token: str, age_s: float, ephemeral: bool = False) -> None:
    command = Command("ask", "how do I deploy?", HERE, Author(str(ALICE_ID), "alice"), id=token.removeprefix("t-"))
    route = InteractionRoute(BOT_ID, token, ephemeral)
    assert await pipeline.deps.store.pending_commands.owe(
        PendingCommand(HERE.key, str(command.id), command_to_json(command), route.to_json(), time.time() - age_s))


def _webhook_calls(fake: FakeDiscord) -> list[Any]:
    return [r for r in fake.requests if r.path.startswith("/webhooks/")]


async def test_an_interaction_is_owed_with_its_token_until_answered(discord_bot: Any, fake_discord: FakeDiscord,
                                                                    caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    model = ScriptedModel(steps=[AIMessage("Deploy with `make deploy`.")], delay_s=0.5)
    adapter, pipeline = await discord_bot(model)
    payload = fake_discord.interaction("ask", [{"name": "question", "type": 3, "value": "how do I deploy?"}])
    await fake_discord.dispatch("INTERACTION_CREATE", payload)
    await until(lambda: fake_discord.callbacks(), what="the deferral")  # deferred: the record was written before
    [owed] = await pipeline.deps.store.pending_commands.owed()
    assert owed.command_id == payload["id"] and owed.channel_key == HERE.key
    assert InteractionRoute.from_json(owed.route) == InteractionRoute(BOT_ID, payload["token"], False)
    await settle(adapter)
    [followup] = fake_discord.followups()
    assert "make deploy" in followup.content
    assert await pipeline.deps.store.pending_commands.owed() == []  # settled: the token is gone with it
    ours = [r for r in caplog.records if r.name.startswith(("bot", "agent"))]
    assert not any(payload["token"] in r.getMessage() or payload["token"] in str(r.__dict__) for r in ours)


async def test_an_owed_interaction_is_answered_after_a_restart_through_its_webhook(
        discord_bot: Any, fake_discord: FakeDiscord) -> None:
    model = ScriptedModel(steps=[AIMessage("Deploy with `make deploy`. @everyone")])
    adapter, pipeline = await discord_bot(model)  # a fresh process: the record is what the dead one left
    await _owe(pipeline, "t-1400000000000000077", age_s=120)
    assert await pipeline.resume() == 1
    await settle(adapter)
    [followup] = fake_discord.followups()
    assert followup.path == f"/webhooks/{BOT_ID}/t-1400000000000000077"
    assert "make deploy" in followup.content and "@everyone" not in followup.content
    assert followup.json["allowed_mentions"]["parse"] == []
    assert len(_webhook_calls(fake_discord)) == 1  # the follow-up took the "thinking…" message's place
    assert await pipeline.deps.store.pending_commands.owed() == []
    assert await pipeline.resume() == 0  # settled: never answered twice
    history = await pipeline.deps.store.messages.recent(HERE.key, limit=5)
    assert any(m.is_bot and "make deploy" in m.text for m in history)  # through the outbox: remembered


async def test_a_resumed_private_command_stays_private(discord_bot: Any, fake_discord: FakeDiscord) -> None:
    adapter, pipeline = await discord_bot(ScriptedModel(steps=[]))
    command = Command("help", "", HERE, Author(str(ALICE_ID), "alice"), id="1400000000000000078")
    await pipeline.deps.store.pending_commands.owe(PendingCommand(
        HERE.key, "1400000000000000078", command_to_json(command),
        InteractionRoute(BOT_ID, "t-private", True).to_json(), time.time() - 30))
    assert await pipeline.resume() == 1
    await settle(adapter)
    [followup] = fake_discord.followups()
    assert followup.json["flags"] & EPHEMERAL and "/ask" in followup.content


async def test_an_owed_interaction_too_old_to_run_closes_its_thinking_message(
        discord_bot: Any, fake_discord: FakeDiscord) -> None:
    model = ScriptedModel(steps=[])
    adapter, pipeline = await discord_bot(model)
    await _owe(pipeline, "t-1400000000000000079", age_s=14.5 * 60)  # the token lasts 30 s more: too short
    assert await pipeline.resume() == 0
    await settle(adapter)
    [edit] = _webhook_calls(fake_discord)
    assert (edit.method, edit.path) == ("PATCH", f"/webhooks/{BOT_ID}/t-1400000000000000079/messages/@original")
    assert edit.json["content"] == say.STOPPED_BEFORE_ANSWER and edit.json["allowed_mentions"]["parse"] == []
    assert not model.seen
    assert await pipeline.deps.store.pending_commands.owed() == []


async def test_an_expired_owed_interaction_is_settled_without_a_call(discord_bot: Any,
                                                                     fake_discord: FakeDiscord) -> None:
    model = ScriptedModel(steps=[])
    adapter, pipeline = await discord_bot(model)
    await _owe(pipeline, "t-1400000000000000080", age_s=20 * 60)  # its token expired 5 minutes ago
    await _owe(pipeline, "t-damaged", age_s=60)
    await pipeline.deps.store.db.write("UPDATE pending_commands SET payload = '{' WHERE command_id = 'damaged'")
    requests_before = len(fake_discord.requests)
    assert await pipeline.resume() == 0
    await settle(adapter)
    assert fake_discord.requests[requests_before:] == [] and not model.seen
    assert await pipeline.deps.store.pending_commands.owed() == []
