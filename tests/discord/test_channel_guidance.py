"""/confab settings instructions|knowledge through the real discord.py CommandTree: instructions as long as the
limit fit the command's value, and the channel's settings list shows them."""

from __future__ import annotations

from typing import Any

from tests.fakes.discord import GENERAL_ID, GUILD_ID, FakeDiscord, settle
from tests.fakes.scripted_model import ScriptedModel

ADMIN = (1 << 5) | (1 << 11)  # Manage Server


def option(name: str, value: Any, kind: int = 3) -> dict[str, Any]:
    return {"name": name, "type": kind, "value": value}


async def test_long_instructions_fit_the_settings_command(discord_bot: Any, fake_discord: FakeDiscord) -> None:
    adapter, pipeline = await discord_bot(ScriptedModel(steps=[]))
    text = "Answer in French, briefly, and point to the billing runbook. " * 16
    await fake_discord.dispatch("INTERACTION_CREATE", fake_discord.interaction(
        "settings", [option("name", "instructions"), option("value", text)], group="confab", permissions=ADMIN))
    await settle(adapter)
    assert f"Set this channel's instructions ({len(text.strip())} characters)" in fake_discord.followups()[-1].content
    key = f"discord:{GUILD_ID}:{GENERAL_ID}"
    assert await pipeline.deps.store.channel_settings.get(key, "instructions") == text.strip()
    await fake_discord.dispatch("INTERACTION_CREATE", fake_discord.interaction("settings", [], group="confab"))
    await settle(adapter)
    shown = fake_discord.followups()[-1].content
    assert f"`instructions` ({len(text.strip())} characters)" in shown and "`knowledge` = all" in shown


async def test_the_settings_value_takes_instructions_up_to_their_limit() -> None:
    """Discord's own client enforces an option's max_length: it is the instructions' limit (it was 200)."""
    import discord
    from discord import app_commands

    from agent.guidance import MAX_INSTRUCTIONS_CHARS
    from bot.discord.command_set import register

    async def run(*args: Any, **kwargs: Any) -> None: ...

    tree: app_commands.CommandTree[Any] = app_commands.CommandTree(discord.Client(intents=discord.Intents.none()))
    register(tree, run)
    group = tree.get_command("confab")
    assert isinstance(group, app_commands.Group)
    settings = group.get_command("settings")
    assert isinstance(settings, app_commands.Command)
    [value] = [o for o in settings.to_dict(tree)["options"] if o["name"] == "value"]
    assert value["max_length"] == MAX_INSTRUCTIONS_CHARS == 1000
