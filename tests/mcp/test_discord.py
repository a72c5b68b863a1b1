"""On Discord, through the real discord.py client against the fake gateway: the confirmation request reaches the
channel without pings, ``/confab confirm`` (a subcommand of the synced ``/confab`` group) is refused for a member
without Manage Server and runs the call once for one with it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from langchain_core.messages import AIMessage

from tests.discord.conftest import fake_discord
from tests.fakes.discord import BOB, BOT_USER, GENERAL_ID, FakeDiscord, discord_settings, settle
from tests.fakes.scripted_model import ScriptedModel, tool_call
from tests.mcp.conftest import ToolServer

__all__ = ["fake_discord"]

MANAGE_SERVER = (1 << 5) | (1 << 11)


def code_option(code: str) -> list[dict[str, Any]]:
    return [{"name": "code", "type": 3, "value": code}]


async def test_an_admin_confirms_on_discord(tmp_path: Path, bot_factory: Any, fake_discord: FakeDiscord,
                                            tool_server: ToolServer) -> None:
    from bot.discord.adapter import DiscordAdapter

    create = tool_call("tickets_create_ticket", {"title": "@everyone printer", "priority": "high"})
    settings = discord_settings(tmp_path, fake_discord, model="openai:gpt-4.1-mini", mcp_servers=tool_server.write(),
                                stream_answers=False)
    adapter = DiscordAdapter(settings, guild_ready_timeout=0.05)
    await bot_factory(ScriptedModel(steps=[AIMessage("", tool_calls=[create]), AIMessage("Asked.")]),
                      settings=settings, adapter=adapter)
    asked = fake_discord.message(f"<@{BOT_USER['id']}> open a ticket for the printer", mentions=[BOT_USER])
    await fake_discord.dispatch("MESSAGE_CREATE", asked)
    await settle(adapter)
    request = fake_discord.posted(GENERAL_ID)[-1]
    assert request.json["allowed_mentions"]["parse"] == []
    found = re.search(r"/confab confirm ([A-Z0-9]{6})", request.content)
    assert found, request.content
    assert tool_server.calls() == []

    await fake_discord.dispatch("INTERACTION_CREATE", fake_discord.interaction(
        "confirm", code_option(found.group(1)), group="confab", who=BOB, permissions=1 << 11))
    await settle(adapter)
    assert "Only admins" in fake_discord.followups()[-1].content
    assert tool_server.calls() == []

    await fake_discord.dispatch("INTERACTION_CREATE", fake_discord.interaction(
        "confirm", code_option(found.group(1)), group="confab", permissions=MANAGE_SERVER))
    await settle(adapter)
    done = fake_discord.followups()[-1]
    assert "ran" in done.content and "Created ticket T-100" in done.content
    assert done.json["allowed_mentions"]["parse"] == [] and "@everyone" not in done.content
    assert len(tool_server.calls("create_ticket")) == 1
