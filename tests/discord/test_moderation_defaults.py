"""Spam moderation on Discord out of the box (issue 19, items 5 and 6): half an emoji in a display
name is cleaned, and with no moderators' channel the note is a reply to the flagged message that
pings nobody, with the message's link for ``/spam not-spam``."""

from __future__ import annotations

from typing import Any

from tests.fakes.discord import BOB, BOB_ID, GENERAL_ID, GUILD_ID, FakeDiscord, settle
from tests.fakes.scripted_model import ScriptedModel

PHISHING = "FREE NITRO giveaway!!! claim it at https://dlscord-gift.com/abc"


def test_half_an_emoji_in_a_display_name_is_cleaned() -> None:
    """Discord's gateway sends valid UTF-8 (discord.py's orjson refuses a lone surrogate outright), but
    names and text reach convert from cached objects too: they are scrubbed all the same."""
    from types import SimpleNamespace

    from bot.discord.convert import author_of

    member = SimpleNamespace(id=BOB_ID, name="bob", display_name="Nitro\ud83d", bot=False, roles=(), joined_at=None)
    assert author_of(member).name == "Nitro\ufffd"


async def test_without_a_mod_channel_the_note_replies_to_the_message(discord_bot: Any, fake_discord: FakeDiscord
                                                                     ) -> None:
    adapter, _ = await discord_bot(ScriptedModel(steps=[]))
    spam = fake_discord.message(PHISHING + " @everyone", author=BOB)
    await fake_discord.dispatch("MESSAGE_CREATE", spam)
    await settle(adapter)
    [note] = fake_discord.posted(GENERAL_ID)
    assert str(note.json["message_reference"]["message_id"]) == spam["id"]
    assert note.json["allowed_mentions"]["parse"] == [] and "@everyone" not in note.content
    link = f"https://discord.com/channels/{GUILD_ID}/{GENERAL_ID}/{spam['id']}"
    assert f"/spam not-spam {link}" in note.content and "phishing" in note.content


async def test_mod_channel_set_by_mention_or_typed_name_is_the_channel(discord_bot: Any, fake_discord: FakeDiscord
                                                                       ) -> None:
    """``@confab /confab settings mod_channel #mods`` with the channel picked (``<#id>``, which the message's text
    shows as ``#mods``) or ``/confab settings`` with ``#mods`` typed: both name the server's #mods, and the next
    flag's note goes there."""
    from tests.fakes.discord import ALL_TEXT_PERMISSIONS, BOT_USER, MANAGE_GUILD, MODS_ID

    adapter, pipeline = await discord_bot(ScriptedModel(steps=[]))
    key = f"discord:{GUILD_ID}:{GENERAL_ID}"
    settings = pipeline.deps.store.channel_settings
    picked = fake_discord.message(f"<@{BOT_USER['id']}> /confab settings mod_channel <#{MODS_ID}>",
                                  mentions=[BOT_USER])
    await fake_discord.dispatch("MESSAGE_CREATE", picked)
    await settle(adapter)
    [said] = fake_discord.posted(GENERAL_ID)
    assert f"Set `mod_channel` to <#{MODS_ID}>" in said.content, said.content
    assert await settings.get(key, "mod_channel", None) == str(MODS_ID)
    await settings.set(key, "mod_channel", "none")
    typed = [{"name": "name", "type": 3, "value": "mod_channel"}, {"name": "value", "type": 3, "value": "#mods"}]
    await fake_discord.dispatch("INTERACTION_CREATE", fake_discord.interaction(
        "settings", typed, group="confab", permissions=ALL_TEXT_PERMISSIONS | MANAGE_GUILD))
    await settle(adapter)
    assert f"Set `mod_channel` to <#{MODS_ID}>" in fake_discord.followups()[-1].text
    assert await settings.get(key, "mod_channel", None) == str(MODS_ID)
    await fake_discord.dispatch("INTERACTION_CREATE", fake_discord.interaction("settings", [], group="confab"))
    await settle(adapter)
    shown = fake_discord.followups()[-1].text  # the channel as a link people can follow, not the id kept in backticks
    assert f"• `mod_channel` = <#{MODS_ID}>" in shown and f"`{MODS_ID}`" not in shown, shown
    await fake_discord.dispatch("MESSAGE_CREATE", fake_discord.message(PHISHING, author=BOB))
    await settle(adapter)
    [note] = fake_discord.posted(MODS_ID)
    assert "phishing" in note.content
