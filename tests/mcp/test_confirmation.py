"""Acting tools wait for an admin: the model's call doesn't reach the server; Confab shows what it wants to run
and the code; an admin of that channel confirms once (a double confirm runs nothing more); a non-admin, another
channel, or a code past its window runs nothing."""

from __future__ import annotations

import asyncio
import re
from typing import Any

from langchain_core.messages import AIMessage

from agent.mcp.confirm import PENDING_KEY
from tests.fakes.harness import Bot
from tests.fakes.scripted_model import ScriptedModel, tool_call
from tests.mcp.conftest import ToolServer

MODEL = "openai:gpt-4.1-mini"
CREATE = tool_call("tickets_create_ticket", {"title": "Printer @everyone on fire", "priority": "high"})


async def asked(bot_factory: Any, tool_server: ToolServer, answer: str = "Sure, I've asked.", **settings: Any
                ) -> tuple[Bot, str, str]:
    """A bot whose model called create_ticket once: the bot, its reply, the confirmation code."""
    model = ScriptedModel(steps=[AIMessage("", tool_calls=[CREATE]), AIMessage(answer)])
    bot = await bot_factory(model, moderator=None, model=MODEL, mcp_servers=tool_server.write(),
                            stream_answers=False, **settings)
    reply = await bot.say("@confab open a ticket: the printer is on fire, high priority")
    found = re.search(r"/confab confirm ([A-Z0-9]{6})", reply)
    assert found, reply
    return bot, reply, found.group(1)


def texts(replies: list[Any]) -> str:
    return "\n".join(r.text for r in replies)


async def test_an_acting_tool_waits_for_an_admin_and_runs_once(bot_factory: Any, tool_server: ToolServer) -> None:
    bot, reply, code = await asked(bot_factory, tool_server)
    # what it wants to run: the tool, the server, the arguments (no ping), and the command
    assert "Sure, I've asked." in reply  # the model didn't pass the code on: Confab adds the request
    assert "`create_ticket` on the tool server `tickets`" in reply and '"priority": "high"' in reply
    assert "@everyone" not in reply and "Printer @" in reply
    assert tool_server.calls() == []

    refused = texts(await bot.command("confab", f"confirm {code}", user="bob"))
    assert "Only admins" in refused and tool_server.calls() == []
    elsewhere = texts(await bot.command("confab", f"confirm {code}", user="root", admin=True, channel="random"))
    assert "Nothing waits" in elsewhere and tool_server.calls() == []

    done = texts(await bot.command("confab", f"confirm {code.lower()}", user="root", admin=True))
    assert "Confirmed by root: `create_ticket` on `tickets` ran" in done and "Created ticket T-100" in done
    assert "@everyone" not in done
    assert [c["args"] for c in tool_server.calls()] == [{"title": "Printer @everyone on fire", "priority": "high"}]

    again = texts(await bot.command("confab", f"confirm {code}", user="root", admin=True))
    assert "Nothing waits" in again
    assert len(tool_server.calls("create_ticket")) == 1


async def test_two_confirmations_at_once_run_it_once(bot_factory: Any, tool_server: ToolServer) -> None:
    bot, _, code = await asked(bot_factory, tool_server)
    results = await asyncio.gather(bot.command("confab", f"confirm {code}", user="root", admin=True),
                                   bot.command("confab", f"confirm {code}", user="ops", admin=True))
    assert sum("ran" in texts(r) for r in results) == 1
    assert len(tool_server.calls("create_ticket")) == 1


async def test_a_confirmation_after_the_window_runs_nothing(bot_factory: Any, tool_server: ToolServer) -> None:
    bot, _, code = await asked(bot_factory, tool_server, mcp_confirm_minutes=10)
    channel_settings, key = bot.deps.store.channel_settings, bot.channel().key
    pending = await channel_settings.get(key, PENDING_KEY)
    pending[code]["at"] -= 10 * 60 + 1  # asked just over ten minutes ago
    await channel_settings.set(key, PENDING_KEY, pending)
    late = texts(await bot.command("confab", f"confirm {code}", user="root", admin=True))
    assert "expired" in late
    assert tool_server.calls() == []


async def test_a_cancelled_call_never_runs(bot_factory: Any, tool_server: ToolServer) -> None:
    bot, _, code = await asked(bot_factory, tool_server)
    assert "Only admins" in texts(await bot.command("confab", f"cancel {code}", user="bob"))
    assert "will not run" in texts(await bot.command("confab", f"cancel {code}", user="root", admin=True))
    assert "Nothing waits" in texts(await bot.command("confab", f"confirm {code}", user="root", admin=True))
    assert tool_server.calls() == []


async def test_the_models_account_of_the_call_never_replaces_confabs(bot_factory: Any, tool_server: ToolServer) -> None:
    """The model says the call is harmless and names another ticket: the admin still sees the real arguments."""
    model = ScriptedModel(steps=[AIMessage("", tool_calls=[CREATE]), AIMessage(
        "It only opens a low-priority ticket 'hello'; nothing to worry about.")])
    bot = await bot_factory(model, moderator=None, model=MODEL, mcp_servers=tool_server.write(), stream_answers=False)
    reply = await bot.say("@confab open a ticket for the printer")
    assert reply.startswith("It only opens") and '"priority": "high"' in reply and reply.count("/confab confirm") == 1
    assert "NOT RUN" in str(model.seen[-1][-1].content) and "/confab confirm" not in str(model.seen[-1][-1].content)


async def test_the_server_marks_a_tool_read_only_but_the_admin_says_acting(
        bot_factory: Any, tool_server: ToolServer) -> None:
    """lookup_ticket has readOnlyHint; listed in `acting`, it waits like any acting tool."""
    tool_server.write(tickets=tool_server.entry(acting=["lookup_ticket"]))
    model = ScriptedModel(steps=[AIMessage("", tool_calls=[tool_call("tickets_lookup_ticket", {"ticket_id": "T-1"})]),
                                 AIMessage("Asked.")])
    bot = await bot_factory(model, moderator=None, model=MODEL, mcp_servers=tool_server.config, stream_answers=False)
    assert "/confab confirm" in await bot.say("@confab look up T-1")
    assert tool_server.calls() == []


async def test_confirm_without_tool_servers_or_code_says_so(bot_factory: Any, tool_server: ToolServer) -> None:
    bot = await bot_factory(None, moderator=None)
    assert "No tool servers" in texts(await bot.command("confab", "confirm ABC234", user="root", admin=True))
    bot, _, _ = await asked(bot_factory, tool_server)
    for args in ("confirm", "confirm a b", "confirm <@U1>", "confirm " + "X" * 40):
        assert "Usage: `/confab confirm <code>`" in texts(await bot.command("confab", args, user="root", admin=True))
    assert "Nothing waits" in texts(await bot.command("confab", "confirm ZZZZZZ", user="root", admin=True))
    assert tool_server.calls() == []
    # /confab's own usage and /help name confirm and cancel too
    assert "`/confab confirm <code>`" in texts(await bot.command("confab", "nonsense", user="root", admin=True))
    assert "confirm|cancel <code>" in texts(await bot.command("help", "", user="root"))


async def test_two_acting_calls_in_one_answer_each_get_a_code(bot_factory: Any, tool_server: ToolServer) -> None:
    first = tool_call("tickets_create_ticket", {"title": "one"}, "call_1")
    second = tool_call("tickets_create_ticket", {"title": "two"}, "call_2")
    model = ScriptedModel(steps=[AIMessage("", tool_calls=[first, second]), AIMessage("Both asked.")])
    bot = await bot_factory(model, moderator=None, model=MODEL, mcp_servers=tool_server.write(), stream_answers=False)
    reply = await bot.say("@confab open two tickets")
    codes = re.findall(r"/confab confirm ([A-Z0-9]{6})", reply)
    assert len(set(codes)) == 2
    for code in codes:
        assert "ran" in texts(await bot.command("confab", f"confirm {code}", user="root", admin=True))
    assert sorted(c["args"]["title"] for c in tool_server.calls("create_ticket")) == ["one", "two"]


async def test_an_acting_call_with_arguments_that_dont_fit_asks_nobody(bot_factory: Any,
                                                                       tool_server: ToolServer) -> None:
    bad = tool_call("tickets_create_ticket", {"priority": "high"})  # no title
    model = ScriptedModel(steps=[AIMessage("", tool_calls=[bad]), AIMessage("It needs a title.")])
    bot = await bot_factory(model, moderator=None, model=MODEL, mcp_servers=tool_server.write(), stream_answers=False)
    reply = await bot.say("@confab open a ticket")
    assert reply == "It needs a title."
    assert await bot.deps.store.channel_settings.get(bot.channel().key, PENDING_KEY) is None


async def test_the_request_is_shown_even_when_the_model_fails_after_asking(bot_factory: Any,
                                                                           tool_server: ToolServer) -> None:
    model = ScriptedModel(steps=[AIMessage("", tool_calls=[CREATE]), ConnectionError("model went away")])
    bot = await bot_factory(model, moderator=None, model=MODEL, mcp_servers=tool_server.write(), stream_answers=False)
    reply = await bot.say("@confab open a ticket for the printer")
    assert "language model" in reply and "/confab confirm" in reply and '"priority": "high"' in reply
    code = re.search(r"/confab confirm ([A-Z0-9]{6})", reply).group(1)  # type: ignore[union-attr]
    assert "ran" in texts(await bot.command("confab", f"confirm {code}", user="root", admin=True))
    assert len(tool_server.calls("create_ticket")) == 1


async def test_arguments_too_long_to_show_an_admin_are_refused(bot_factory: Any, tool_server: ToolServer) -> None:
    long = tool_call("tickets_create_ticket", {"title": "x" * 5000})
    model = ScriptedModel(steps=[AIMessage("", tool_calls=[long]), AIMessage("Too long.")])
    bot = await bot_factory(model, moderator=None, model=MODEL, mcp_servers=tool_server.write(), stream_answers=False)
    assert await bot.say("@confab open a ticket with this log") == "Too long."
    assert "too long to ask an admin about" in str(model.seen[-1][-1].content)
    assert await bot.deps.store.channel_settings.get(bot.channel().key, PENDING_KEY) is None
