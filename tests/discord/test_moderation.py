"""Spam flagging on Discord with the real moderator: flag, delete, time out — each only with the
permission — a note for moderators that pings nobody, and AutoMod actions kept as flags."""

from __future__ import annotations

from typing import Any

from tests.fakes.discord import (
    ALL_TEXT_PERMISSIONS,
    BOB,
    BOB_ID,
    GENERAL_ID,
    GUILD_ID,
    MODERATE_MEMBERS,
    MODS_ID,
    FakeDiscord,
    settle,
)
from tests.fakes.scripted_model import ScriptedModel
from tests.stored_rows import table_rows

SPAM = "FREE NITRO giveaway!!! claim it at https://dlscord-gift.com/abc @everyone"
KEY = f"discord:{GUILD_ID}:{GENERAL_ID}"
MANAGE_MESSAGES = 1 << 13


async def flagged(discord_bot: Any, fake: FakeDiscord, policy: str) -> tuple[dict[str, Any], Any]:
    adapter, pipeline = await discord_bot(ScriptedModel(steps=[]), spam_policy=policy, mod_channel=str(MODS_ID))
    spam = fake.message(SPAM, author=BOB)
    await fake.dispatch("MESSAGE_CREATE", spam)
    await settle(adapter)
    return spam, pipeline


async def test_flag_reacts_and_tells_the_moderators_without_pings(discord_bot: Any, fake_discord: FakeDiscord) -> None:
    spam, pipeline = await flagged(discord_bot, fake_discord, "flag")
    [reaction] = fake_discord.calls("PUT", rf"/channels/{GENERAL_ID}/messages/{spam['id']}/reactions/.+/@me")
    assert "%F0%9F%9A%A9" in reaction.path or "🚩" in reaction.path
    [note] = fake_discord.posted(MODS_ID)
    assert "phishing" in note.content and "@everyone" not in note.content
    assert note.json["allowed_mentions"]["parse"] == [] and note.json["flags"] & (1 << 2)
    assert f"https://discord.com/channels/{GUILD_ID}/{GENERAL_ID}/{spam['id']}" in note.content
    assert not fake_discord.calls("DELETE", rf"/channels/{GENERAL_ID}/messages/\d+")
    rows = await table_rows(pipeline.deps, "SELECT action FROM spam_flags WHERE message_id = ?", (spam["id"],))
    assert rows == [("flagged",)]


async def test_delete_and_timeout_when_permitted(discord_bot: Any, fake_discord: FakeDiscord) -> None:
    spam, _ = await flagged(discord_bot, fake_discord, "delete_timeout")
    assert fake_discord.calls("DELETE", rf"/channels/{GENERAL_ID}/messages/{spam['id']}")
    [timeout] = fake_discord.calls("PATCH", rf"/guilds/{GUILD_ID}/members/{BOB_ID}")
    assert timeout.json["communication_disabled_until"]


async def test_without_the_permissions_it_only_flags(discord_bot: Any, fake_discord: FakeDiscord) -> None:
    fake_discord.bot_permissions = ALL_TEXT_PERMISSIONS & ~MANAGE_MESSAGES & ~MODERATE_MEMBERS
    spam, pipeline = await flagged(discord_bot, fake_discord, "delete_timeout")
    assert not fake_discord.calls("DELETE", rf"/channels/{GENERAL_ID}/messages/\d+")
    assert not fake_discord.calls("PATCH", rf"/guilds/{GUILD_ID}/members/\d+")
    assert fake_discord.calls("PUT", rf"/channels/{GENERAL_ID}/messages/{spam['id']}/reactions/.+/@me")
    rows = await table_rows(pipeline.deps, "SELECT action FROM spam_flags WHERE message_id = ?", (spam["id"],))
    assert rows == [("flagged",)]


async def test_an_automod_action_is_kept_as_a_flag(discord_bot: Any, fake_discord: FakeDiscord) -> None:
    adapter, pipeline = await discord_bot(ScriptedModel(steps=[]))
    message_id = str(fake_discord.next_id())
    await fake_discord.dispatch("AUTO_MODERATION_ACTION_EXECUTION", {
        "guild_id": str(GUILD_ID), "action": {"type": 2, "metadata": {"channel_id": str(MODS_ID)}},
        "rule_id": "1600000000000000001", "rule_trigger_type": 1, "user_id": BOB["id"],
        "channel_id": str(GENERAL_ID), "message_id": message_id, "alert_system_message_id": None,
        "content": "buy cheap followers", "matched_keyword": "cheap followers", "matched_content": "cheap followers",
    })
    await settle(adapter)
    rows = await table_rows(pipeline.deps, 
        "SELECT author_id, reasons, action FROM spam_flags WHERE channel_key = ? AND message_id = ?", (KEY, message_id))
    [(author, reasons, action)] = rows
    assert author == BOB["id"] and "cheap followers" in reasons and action.startswith("automod")
