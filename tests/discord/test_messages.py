"""The real discord.py client on the fake gateway and REST API, driving the real pipeline: what the bot
answers, how (reference, allowed_mentions, no embeds, typing), what it only remembers, and a RESUME."""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

from langchain_core.messages import AIMessage

from tests.fakes.discord import (
    ALICE,
    BOB,
    BOT_USER,
    GENERAL_ID,
    GUILD_ID,
    MESSAGE_CONTENT,
    FakeDiscord,
    settle,
    thread_channel,
    user,
)
from tests.fakes.scripted_model import ScriptedModel
from tests.fakes.waiting import until

NO_PINGS = {"parse": [], "replied_user": False}
SUPPRESS_EMBEDS = 1 << 2
PING = re.compile(r"<@[!&]?\d+>|(?<![\w@\u200b])@(everyone|here)\b")
HOSTILE = "Sure! @everyone @here <@1400000000000000002> <@&1500000000000000001> see https://example.com"
KEY = f"discord:{GUILD_ID}:{GENERAL_ID}"


def mention(fake: FakeDiscord, text: str, **kw: Any) -> dict[str, Any]:
    return fake.message(f"<@{BOT_USER['id']}> {text}", mentions=[BOT_USER], **kw)


async def test_identify_asks_for_message_content_and_commands_are_synced(discord_bot: Any,
                                                                         fake_discord: FakeDiscord) -> None:
    await discord_bot()
    [identify] = fake_discord.identifies
    assert identify["intents"] & MESSAGE_CONTENT
    assert identify["token"] == "fake-discord-token"
    [sync] = fake_discord.calls("PUT", r"/applications/\d+/commands")
    names = {c["name"] for c in sync.json}
    assert {"ask", "summarize", "imagine", "brainstorm", "forget", "confab", "Summarize thread",
            "Summarize from here"} <= names
    confab = next(c for c in sync.json if c["name"] == "confab")
    assert confab["default_member_permissions"] == 32  # Manage Server
    spam = next(c for c in sync.json if c["name"] == "spam")
    assert spam["default_member_permissions"] == 32  # shown to those Confab treats as admins, no one else
    assert "message link" in spam["options"][0]["description"]
    assert [o["name"] for o in confab["options"]] == ["settings", "feedback", "confirm", "cancel"]


async def test_guild_scoped_sync_for_development(discord_bot: Any, fake_discord: FakeDiscord) -> None:
    await discord_bot(discord_guild_id=GUILD_ID)
    assert fake_discord.calls("PUT", rf"/applications/\d+/guilds/{GUILD_ID}/commands")


async def test_hostile_model_output_pings_nobody(discord_bot: Any, fake_discord: FakeDiscord) -> None:
    adapter, _ = await discord_bot(ScriptedModel(steps=[AIMessage(HOSTILE)]))
    asked = mention(fake_discord, "what's new?")
    await fake_discord.dispatch("MESSAGE_CREATE", asked)
    await settle(adapter)
    assert fake_discord.calls("POST", rf"/channels/{GENERAL_ID}/typing")  # "Confab is typing…"
    [reply] = fake_discord.posted(GENERAL_ID)
    assert reply.json["allowed_mentions"] == NO_PINGS
    assert reply.json["flags"] & SUPPRESS_EMBEDS
    assert reply.json["message_reference"]["message_id"] == int(asked["id"])
    assert "Sure!" in reply.content and not PING.search(reply.content), reply.content


async def test_long_answers_split_and_only_the_first_part_is_a_reply(discord_bot: Any,
                                                                      fake_discord: FakeDiscord) -> None:
    answer = "\n".join(f"Point {i}: " + "detail " * 12 for i in range(80))
    adapter, _ = await discord_bot(ScriptedModel(steps=[AIMessage(answer)]))
    await fake_discord.dispatch("MESSAGE_CREATE", mention(fake_discord, "tell me everything"))
    await settle(adapter)
    parts = fake_discord.posted(GENERAL_ID)
    assert len(parts) >= 3 and all(len(p.content) <= 2000 for p in parts)
    assert "message_reference" in parts[0].json and all("message_reference" not in p.json for p in parts[1:])
    assert all(p.json["allowed_mentions"] == NO_PINGS for p in parts)


async def test_other_messages_are_remembered_not_answered_and_bots_are_ignored(discord_bot: Any,
                                                                               fake_discord: FakeDiscord) -> None:
    adapter, pipeline = await discord_bot(ScriptedModel(steps=[]))
    chatter = fake_discord.message("the deploy is at 5pm, <@1400000000000000002> can you check?", mentions=[BOB])
    other_bot = fake_discord.message(f"<@{BOT_USER['id']}> I am a bot", author=user(1666, "otherbot", bot=True),
                                     mentions=[BOT_USER])
    await fake_discord.dispatch("MESSAGE_CREATE", chatter)
    await fake_discord.dispatch("MESSAGE_CREATE", other_bot)
    await settle(adapter)
    assert fake_discord.posted() == []
    stored = await pipeline.deps.store.messages.get(KEY, chatter["id"])
    assert stored is not None and stored.text == "the deploy is at 5pm, @Bob can you check?"
    assert stored.author_name == "Alice"


async def test_direct_messages_are_answered(discord_bot: Any, fake_discord: FakeDiscord) -> None:
    adapter, _ = await discord_bot(ScriptedModel(steps=[AIMessage("Hi in private.")]))
    dm = fake_discord.message("hello there", channel_id=1700000000000000001, guild=False)
    await fake_discord.dispatch("MESSAGE_CREATE", dm)
    await settle(adapter)
    [reply] = fake_discord.posted(1700000000000000001)
    assert reply.content == "Hi in private." and reply.json["allowed_mentions"] == NO_PINGS


async def test_a_thread_it_was_mentioned_in_is_followed_without_re_mention(discord_bot: Any,
                                                                           fake_discord: FakeDiscord) -> None:
    adapter, _ = await discord_bot(ScriptedModel(steps=[AIMessage("First answer."), AIMessage("Second answer.")]))
    thread_id = 1800000000000000001
    thread = thread_channel(thread_id, "deploy question", GENERAL_ID, ALICE["id"])
    await fake_discord.dispatch("THREAD_CREATE", {**thread, "newly_created": True})
    await fake_discord.dispatch("MESSAGE_CREATE", mention(fake_discord, "how do we deploy?", channel_id=thread_id))
    await settle(adapter)
    await fake_discord.dispatch("MESSAGE_CREATE", fake_discord.message("and on Fridays?", channel_id=thread_id))
    await settle(adapter)
    replies = fake_discord.posted(thread_id)
    assert [r.content for r in replies] == ["First answer.", "Second answer."]


async def test_edits_and_deletes_update_memory(discord_bot: Any, fake_discord: FakeDiscord) -> None:
    adapter, pipeline = await discord_bot(ScriptedModel(steps=[]))
    original = fake_discord.message("the meeting is at 3pm")
    await fake_discord.dispatch("MESSAGE_CREATE", original)
    await settle(adapter)
    edited = {**original, "content": f"the meeting is at 4pm, see <#{GENERAL_ID}>",
              "edited_timestamp": "2026-11-23T10:00:00+00:00"}
    await fake_discord.dispatch("MESSAGE_UPDATE", edited)
    await settle(adapter)
    memory = pipeline.deps.store
    stored = await memory.messages.get(KEY, original["id"])
    assert stored is not None and stored.text == "the meeting is at 4pm, see #general"
    await fake_discord.dispatch("MESSAGE_DELETE", {"id": original["id"], "channel_id": str(GENERAL_ID),
                                                   "guild_id": str(GUILD_ID)})
    await settle(adapter)
    gone = await memory.messages.get(KEY, original["id"])
    assert gone is None or gone.deleted


async def test_resume_after_a_dropped_connection_replays_once(discord_bot: Any, fake_discord: FakeDiscord) -> None:
    adapter, _ = await discord_bot(ScriptedModel(steps=[AIMessage("Before the drop."), AIMessage("After the drop."),
                                                        AIMessage("A second reply: a bug.")]))
    await fake_discord.dispatch("MESSAGE_CREATE", mention(fake_discord, "first question"))
    await settle(adapter)
    fake_discord.replay_overlap = 1  # the gateway re-sends the already answered message too
    await fake_discord.drop()
    missed = mention(fake_discord, "asked while you were away")
    await fake_discord.dispatch("MESSAGE_CREATE", missed)  # nobody connected: kept for the RESUME
    await asyncio.wait_for(fake_discord.wait_connected(), 20)
    await settle(adapter)
    [resume] = fake_discord.resumes
    assert resume["session_id"] == "fake-session-1" and resume["seq"] >= 3
    assert len(fake_discord.identifies) == 1  # resumed, not re-identified
    contents = [r.content for r in fake_discord.posted(GENERAL_ID)]
    assert contents == ["Before the drop.", "After the drop."]


async def test_repeated_deliveries_get_one_reply(discord_bot: Any, fake_discord: FakeDiscord) -> None:
    adapter, _ = await discord_bot(ScriptedModel(steps=[AIMessage("Only once."), AIMessage("Twice: a bug.")]))
    asked = mention(fake_discord, "hello?")
    await asyncio.gather(*(fake_discord.dispatch("MESSAGE_CREATE", asked) for _ in range(4)))
    await settle(adapter)
    assert [r.content for r in fake_discord.posted(GENERAL_ID)] == ["Only once."]


async def test_a_long_rate_limit_is_not_waited_out(discord_bot: Any, fake_discord: FakeDiscord) -> None:
    """Discord says "retry in 10 minutes": the reply is dropped with a ⏳ on the question, not stalled."""
    adapter, _ = await discord_bot(ScriptedModel(steps=[AIMessage("An answer that can't be posted.")]))
    fake_discord.rate_limited[rf"/channels/{GENERAL_ID}/messages"] = 600.0
    asked = mention(fake_discord, "are you there?")
    await fake_discord.dispatch("MESSAGE_CREATE", asked)
    await asyncio.wait_for(settle(adapter), timeout=20)
    [reaction] = fake_discord.calls("PUT", rf"/channels/{GENERAL_ID}/messages/{asked['id']}/reactions/.+/@me")
    assert "%E2%8F%B3" in reaction.path or "⏳" in reaction.path
    assert len(fake_discord.posted(GENERAL_ID)) == 1  # the one refused attempt, no retry loop


def test_payloads_are_json_serialisable(fake_discord: FakeDiscord) -> None:
    json.dumps(fake_discord.guild())
    json.dumps(fake_discord.interaction("ask", [{"name": "question", "type": 3, "value": "hi"}]))


async def test_an_oversized_or_binary_message_gets_a_short_answer(discord_bot: Any, fake_discord: FakeDiscord) -> None:
    adapter, pipeline = await discord_bot(ScriptedModel(steps=[AIMessage("never asked")]))
    huge = mention(fake_discord, "\x00\x01binary\x7f " + "x" * 50_000)
    await fake_discord.dispatch("MESSAGE_CREATE", huge)
    await settle(adapter)
    [reply] = fake_discord.posted(GENERAL_ID)
    assert "too long" in reply.content.lower() and len(reply.content) < 300
    stored = await pipeline.deps.store.messages.get(KEY, huge["id"])
    assert stored is not None and "\x00" not in stored.text  # remembered, cleaned


async def test_a_garbage_gateway_frame_does_not_take_the_bot_down(discord_bot: Any, fake_discord: FakeDiscord) -> None:
    adapter, _ = await discord_bot(ScriptedModel(steps=[AIMessage("Still here.")]))
    fake_discord.replay_overlap = 0
    await fake_discord.send_raw('{"op": 0, "t": "MESSAGE_CREATE", "s": 2, "d": {"content": "\\ud800 broken')
    await until(lambda: len(fake_discord.identifies) == 2, 20, "a fresh session")
    await settle(adapter)  # connected again: the new session's READY was read
    await fake_discord.dispatch("MESSAGE_CREATE", mention(fake_discord, "are you alive?"))
    await settle(adapter)
    assert [r.content for r in fake_discord.posted(GENERAL_ID)] == ["Still here."]
    assert len(fake_discord.identifies) == 2  # a fresh session after the unreadable frame


async def test_a_reply_to_the_bots_answer_continues_but_thanks_gets_no_answer(discord_bot: Any,
                                                                            fake_discord: FakeDiscord) -> None:
    adapter, _ = await discord_bot(ScriptedModel(steps=[AIMessage("Use `make deploy`."),
                                                        AIMessage("Run `/reindex`.")]))
    await fake_discord.dispatch("MESSAGE_CREATE", mention(fake_discord, "how do I deploy?"))
    await settle(adapter)
    [answer] = [m for m in fake_discord.messages[GENERAL_ID] if m["author"]["id"] == BOT_USER["id"]]

    def reply_to_answer(text: str) -> dict[str, Any]:
        reference = {"message_id": answer["id"], "channel_id": str(GENERAL_ID), "guild_id": str(GUILD_ID)}
        return fake_discord.message(text, type=19, message_reference=reference, referenced_message=answer)

    for small_talk in ("thanks!", "ok, I'll set it up tomorrow"):
        await fake_discord.dispatch("MESSAGE_CREATE", reply_to_answer(small_talk))
        await settle(adapter)
    assert len(fake_discord.posted(GENERAL_ID)) == 1  # no "you're welcome", no capability list
    await fake_discord.dispatch("MESSAGE_CREATE", reply_to_answer("and how do I add new docs?"))
    await settle(adapter)
    assert "Run `/reindex`." in fake_discord.posted(GENERAL_ID)[-1].content  # no mention needed


async def test_half_an_emoji_in_a_gateway_frame_is_read_not_a_reconnect(discord_bot: Any,
                                                                        fake_discord: FakeDiscord) -> None:
    adapter, pipeline = await discord_bot(ScriptedModel(steps=[AIMessage("Read it.")]))
    asked = mention(fake_discord, "is this \ud83d broken?")  # json.dumps sends it as "\\ud83d"
    await fake_discord.dispatch("MESSAGE_CREATE", asked)
    await settle(adapter)
    assert [r.content for r in fake_discord.posted(GENERAL_ID)] == ["Read it."]
    assert len(fake_discord.identifies) == 1  # the same session: the frame was not dropped
    recent = await pipeline.deps.store.messages.recent(f"discord:{GUILD_ID}:{GENERAL_ID}")
    [stored] = [m for m in recent if not m.is_bot]
    assert "\ufffd" in stored.text and "\ud83d" not in stored.text
