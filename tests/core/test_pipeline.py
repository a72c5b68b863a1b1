from typing import Any

from langchain_core.messages import AIMessage

from agent.errors import ModelTimeout
from bot.events import IncomingMessage, MessageEdit, Reply
from tests.fakes.harness import Chat, RecordingAdapter
from tests.fakes.scripted_model import ScriptedModel


async def test_mention_is_answered_and_everything_is_remembered(chat: Chat) -> None:
    assert await chat.say("good morning team") == ""
    answer = await chat.say("@confab hello")
    assert "Hi! I'm confab" in answer and "offline" in answer
    stored = await chat.pipeline.deps.store.messages.recent("test:T1:general")
    assert [m.text for m in stored] == ["good morning team", "@confab hello", answer]
    assert stored[-1].is_bot


async def test_duplicate_delivery_gets_one_reply(chat: Chat) -> None:
    message = chat.message("@confab hi", id="same")
    first = await chat.deliver(message)
    again = [r for _ in range(3) for r in await chat.deliver(message)]
    assert len(first) == 1 and again == []


async def test_direct_message_needs_no_mention(chat: Chat) -> None:
    assert "Here's what I can do" in await chat.say("help", direct=True, channel="dm-alice")


async def test_bots_are_remembered_not_answered(chat: Chat) -> None:
    assert await chat.say("@confab hi", user="otherbot", bot=True) == ""
    assert await chat.pipeline.deps.store.messages.count("test:T1:general") == 1


async def test_followed_thread_needs_no_mention(make_chat: Any) -> None:
    model = ScriptedModel(steps=[AIMessage("first answer"), AIMessage("second answer")])
    chat = await make_chat(model)
    assert await chat.say("@confab where is the runbook?", thread="t1") == "first answer"
    assert await chat.say("and the on-call rota?", user="bob", thread="t1") == "second answer"
    assert await chat.say("unrelated chatter", user="bob", thread="t2") == ""
    assert await chat.say("unrelated top-level chatter", user="bob") == ""


async def test_rate_limit_notice_once(make_chat: Any) -> None:
    model = ScriptedModel(steps=[AIMessage(f"a{i}") for i in range(10)])
    chat = await make_chat(model, rate_user_per_min=2)
    answers = [await chat.say("@confab q") for _ in range(5)]
    assert answers[:2] == ["a0", "a1"]
    assert "faster than I can keep up" in answers[2]
    assert answers[3:] == ["", ""]
    assert await chat.say("@confab q", user="bob") == "a2"


async def test_bad_input_each_gets_a_reply_and_is_stored(chat: Chat) -> None:
    memory = chat.pipeline.deps.store
    assert "type `/help`" in await chat.say("@confab")  # an empty mention: a short hello, not the list
    huge = "@confab " + "x" * 100_000
    assert "too long" in await chat.say(huge)
    weird = "@confab \x00\x07 hi \ud800 there \x1b[31m"
    assert await chat.say(weird) != ""
    texts = [m.text for m in await memory.messages.recent("test:T1:general", limit=20) if not m.is_bot]
    assert len(texts) == 3 and len(texts[1]) == len(huge)
    assert "\x00" not in texts[2] and "\ud800" not in texts[2] and "hi" in texts[2]


async def test_model_down_or_slow_is_one_short_message(make_chat: Any) -> None:
    model = ScriptedModel(steps=[ConnectionError("down"), AIMessage("late")])
    chat = await make_chat(model, agent_model_timeout_s=0.05)
    assert "can't reach the language model" in await chat.say("@confab one")
    model.delay_s = 1
    assert await chat.say("@confab two") == ModelTimeout.user_message
    assert await chat.pipeline.deps.store.messages.count("test:T1:general") == 4


async def test_hostile_model_output_pings_nobody(make_chat: Any) -> None:
    model = ScriptedModel(steps=[AIMessage("@everyone @here <!channel> <@U12345> <@123456789012> go!")])
    chat = await make_chat(model)
    reply = await chat.say("@confab hi")
    for ping in ("@everyone", "@here", "<!channel>", "<@U12345>", "<@123456789012>"):
        assert ping not in reply


async def test_flagged_message_never_reaches_the_agent(make_chat: Any) -> None:
    class Flagger:
        def __init__(self) -> None:
            self.screened: list[str] = []

        async def screen(self, message: IncomingMessage, adapter: Any, read: Any = None) -> bool:
            self.screened.append(message.text)
            return "free nitro" in message.text

        async def rescreen_edit(self, edit: MessageEdit, adapter: Any) -> None:
            self.screened.append(edit.text)

    model = ScriptedModel(steps=[AIMessage("answer")])
    flagger = Flagger()
    chat = await make_chat(model, moderator=flagger)
    assert await chat.say("@confab free nitro at scam.example") == ""
    assert model.seen == []
    assert await chat.say("plain chat") == ""
    await chat.edit("m2", "edited")
    assert flagger.screened == ["@confab free nitro at scam.example", "plain chat", "edited"]


async def test_edits_and_deletes_update_memory(chat: Chat) -> None:
    await chat.say("original", id="m1")
    await chat.edit("m1", "changed")
    memory = chat.pipeline.deps.store
    stored = await memory.messages.get("test:T1:general", "m1")
    assert stored is not None and stored.text == "changed"
    await chat.delete("m1")
    assert await memory.messages.recent("test:T1:general") == []


async def test_commands(chat: Chat) -> None:
    help_text = (await chat.command("help"))[0]
    assert help_text.ephemeral and "/forget" in help_text.text
    unknown = await chat.command("launch-rockets")
    assert "don't know the command `/launch-rockets`" in unknown[0].text
    assert "Usage" in (await chat.command("ask"))[0].text
    assert "only" in (await chat.command("confab", "settings spam_policy off"))[0].text.lower()
    ok = await chat.command("confab", "settings spam_policy off", admin=True)
    assert "Set `spam_policy` to `off`" in ok[0].text
    assert await chat.pipeline.deps.store.channel_settings.get("test:T1:general", "spam_policy") == "off"


async def test_command_typed_after_a_mention(chat: Chat) -> None:
    assert "/forget" in await chat.say("@confab /help")


async def test_forget_needs_confirmation(chat: Chat) -> None:
    await chat.say("secret plans")
    memory = chat.pipeline.deps.store
    assert "no pending" in (await chat.command("forget", "confirm", admin=True))[0].text
    warning = await chat.command("forget", admin=True)
    assert "Type `/forget confirm`" in warning[0].text
    assert await memory.messages.count("test:T1:general") == 1
    assert "forgotten" in (await chat.command("forget", "confirm", admin=True))[0].text
    assert await memory.messages.count("test:T1:general") == 0


async def test_only_an_admin_forgets_a_channel_and_anyone_their_direct_messages(chat: Chat) -> None:
    """Anyone could erase a channel's memory, with it what admins set there: a spammer reset a `delete` spam
    policy to the default by forgetting the channel."""
    memory = chat.pipeline.deps.store
    await chat.command("spam", "policy delete", admin=True)
    await chat.say("we ship on friday")
    for args in ("", "confirm"):
        [refused] = await chat.command("forget", args, user="mallory")
        assert refused.ephemeral and "Only admins can use `/forget`" in refused.text
        assert "direct message" in refused.text
    assert await memory.messages.count("test:T1:general") == 1
    assert await memory.channel_settings.get("test:T1:general", "spam_policy") == "delete"
    await chat.say("my own notes", channel="dm-bob", user="bob")
    await chat.command("forget", channel="dm-bob", user="bob", direct=True)
    assert "forgotten" in (await chat.command("forget", "confirm", channel="dm-bob", user="bob", direct=True))[0].text
    assert await memory.messages.count("test:T1:dm-bob") == 0


async def test_follower_gets_thread_messages(make_chat: Any) -> None:
    class Echo:
        async def on_thread_message(self, message: IncomingMessage, data: dict[str, Any], adapter: Any) -> list[Reply]:
            return [Reply(message.channel, f"noted {data['topic']}: {message.text}")]

    chat = await make_chat(ScriptedModel())
    chat.pipeline.followers["echo"] = Echo()
    await chat.pipeline.deps.store.threads.follow("test:T1:general", "t9", kind="echo", data={"topic": "names"})
    assert await chat.say("call it Zed", thread="t9") == "noted names: call it Zed"


async def test_a_failing_send_does_not_stop_the_pipeline(make_chat: Any) -> None:
    chat = await make_chat(ScriptedModel(steps=[AIMessage("one"), AIMessage("two")]))

    async def broken(reply: Reply) -> Any:
        raise RuntimeError("platform down")

    chat.adapter.send = broken  # type: ignore[method-assign]
    await chat.say("@confab one")
    chat.adapter.send = RecordingAdapter.send.__get__(chat.adapter)  # type: ignore[method-assign]
    assert await chat.say("@confab two") == "two"


async def test_rolling_summary_covers_what_scrolled_out(make_chat: Any) -> None:
    model = ScriptedModel(steps=[AIMessage("noted")])
    chat = await make_chat(model, context_messages=4)
    lines = ["the database migration is scheduled for friday", "alice owns the database migration runbook",
             "lunch options are tacos", "the database migration needs a maintenance window",
             "bob will announce the maintenance window", "weather is nice", "ok", "sure", "cool", "yes"]
    for i, line in enumerate(lines):
        await chat.say(line, user="alice" if i % 2 else "bob")
    await chat.say("@confab what's the plan?")
    await chat.pipeline.drain()
    summary = await chat.pipeline.deps.store.summaries.get("test:T1:general")
    assert summary is not None and "database migration" in summary[0]
    assert "maintenance window" in summary[0] and "noted" not in summary[0]
    model.steps.append(AIMessage("second"))
    await chat.say("@confab and then?")
    system_text = "\n".join(str(m.content) for m in model.seen[-1][:-1])
    assert "<rolling_summary>" in system_text and "database migration" in system_text


async def test_command_past_the_deadline_is_stopped_with_a_short_message(make_chat: Any, caplog: Any) -> None:
    import asyncio

    from bot.commands import CommandSpec

    async def slow(ctx: Any) -> list[Reply]:
        await asyncio.sleep(5)  # the point: a command slower than the deadline
        return [ctx.reply("too late")]

    chat = await make_chat(ScriptedModel(steps=[]), agent_deadline_s=0.1)
    chat.pipeline.commands = {**chat.pipeline.commands, "slow": CommandSpec("slow", "sleeps", "/slow", slow)}
    [reply] = await chat.command("slow")
    assert "took longer than" in reply.text and reply.ephemeral
    assert any(r.message == "command timed out" for r in caplog.records)
