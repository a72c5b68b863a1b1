"""``/digest`` through the chat harness: admins schedule a channel's digest, anyone sees it, bad input gets one
line; the digest posted when due holds the decisions, action items, open questions and questions asked of no one,
with links to the messages, in that channel only, through the outbox (no pings); ``/digest now``; ``/forget``;
a configured model's summary; a capped window."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from agent.storage.digest_store import digest_store
from bot.digests import DigestRunner
from bot.events import ChannelRef
from tests.digest.chat import CONVERSATION, LinkingAdapter, due, posted, schedule, talk
from tests.fakes.harness import open_bot
from tests.fakes.openai_server import FakeOpenAI, text_reply


async def test_the_due_digest_holds_decisions_actions_and_questions_with_links(tmp_path: Path) -> None:
    async with open_bot(tmp_path, adapter=LinkingAdapter()) as bot:
        assert "every day at 09:00 (Europe/Berlin)" in await schedule(bot)
        await talk(bot)
        await talk(bot, [("mallory", "the secret launch code is 1234")], channel="secret")
        runner = DigestRunner(bot.deps, bot.pipeline.outbox)
        before = len(bot.adapter.sent)
        assert await runner.tick(await due(bot) - timedelta(seconds=1)) == 0  # not yet
        assert len(bot.adapter.sent) == before
        assert await runner.tick(await due(bot)) == 1
        [digest] = posted(bot)
        text = digest.text
        assert digest.channel == ChannelRef("test", "T1", "general") and digest.layout is not None
        assert text.startswith("**Daily digest since ")
        assert "**Decisions**" in text and "export feature ships on Thursday" in text
        assert "**Action items**" in text and "**bob**: " in text and "release notes" in text and "Wednesday" in text
        opened, nobody = text.index("**Open questions**"), text.index("**Unanswered, asked of no one**")
        assert "load test" in text[opened:nobody]  # put to dave, unanswered
        assert "staging credentials" in text[nobody:]  # asked of everyone and no one
        assert "lunch" not in text[opened:]
        assert "https://chat.example/general/m" in text  # each point links to its message
        assert "@here" not in text and "@\u200bhere" in text  # the outbox defused the mention it quotes
        assert "@here" not in digest.layout.markdown()
        assert "launch code" not in text  # another channel's messages never
        assert await runner.tick(await due(bot) - timedelta(seconds=1)) == 0  # the next one is tomorrow
        assert await runner.tick(datetime.now(UTC) + timedelta(hours=1)) == 0


async def test_only_admins_change_it_and_bad_input_gets_one_line(tmp_path: Path) -> None:
    async with open_bot(tmp_path) as bot:
        [none] = await bot.command("digest", user="bob")
        assert "no digest scheduled" in none.text and none.ephemeral
        for args in ("daily 09:00", "off", "now", "weekly mon 09:00"):
            [refused] = await bot.command("digest", args, user="bob")
            assert "Only admins can use `/digest`" in refused.text and refused.ephemeral
        assert await digest_store(bot.deps.store).get("test:T1:general") is None
        for args, says in [("daily 25:00", "`25:00` is not a time of day"),
                           ("daily 09:00 Mars/Base", "I don't know the time zone `Mars/Base`"),
                           ("weekly someday 09:00", "`someday` is not a day of the week"),
                           ("every day please", "Usage: `/digest daily HH:MM"),
                           ("off now", "Usage:"), ("\u202e\u0000" * 50, "Usage:")]:
            [reply] = await bot.command("digest", args, user="root", admin=True)
            assert says in reply.text and reply.ephemeral and "\n" not in reply.text
        assert await digest_store(bot.deps.store).get("test:T1:general") is None
        await schedule(bot, "daily 18:30 Asia/Tokyo")
        [shown] = await bot.command("digest", "show", user="bob")
        assert "every day at 18:30 (Asia/Tokyo)" in shown.text and "JST" in shown.text
        [stopped] = await bot.command("digest", "off", user="root", admin=True)
        assert "Stopped" in stopped.text
        assert await digest_store(bot.deps.store).get("test:T1:general") is None
        assert posted(bot) == []


async def test_the_default_zone_is_configurable(tmp_path: Path) -> None:
    async with open_bot(tmp_path, digest_timezone="Europe/Berlin") as bot:
        assert "every day at 07:15 (Europe/Berlin)" in await schedule(bot, "daily 07:15")


async def test_digest_now_posts_since_the_last_one(tmp_path: Path) -> None:
    async with open_bot(tmp_path, adapter=LinkingAdapter()) as bot:
        [quiet] = await bot.command("digest", "now", user="root", admin=True)
        assert "Nothing was said here since" in quiet.text and posted(bot) == []
        await schedule(bot)
        await talk(bot, CONVERSATION[:3])
        [done] = await bot.command("digest", "now", user="root", admin=True, thread="m1")  # typed in a thread
        assert "Posted the digest" in done.text
        [digest] = posted(bot)
        assert digest.text.startswith("**Digest since ") and "export feature ships on Thursday" in digest.text
        assert digest.channel.thread is None and digest.reply_to is None  # the channel, not the thread
        [again] = await bot.command("digest", "now", user="root", admin=True)
        assert "Nothing was said here since" in again.text  # the scheduled one starts there too
        assert len(posted(bot)) == 1


async def test_forget_removes_the_schedule(tmp_path: Path) -> None:
    async with open_bot(tmp_path) as bot:
        await schedule(bot)
        [asked] = await bot.command("forget", user="root", admin=True)
        assert "its digest schedule" in asked.text
        await bot.command("forget", "confirm", user="root", admin=True)
        [none] = await bot.command("digest", user="root")
        assert "no digest scheduled" in none.text


async def test_with_a_configured_model_the_digest_is_the_models_summary(tmp_path: Path,
                                                                        fake_openai: FakeOpenAI) -> None:
    lines = [("dave", "morning! the load test starts now"),  # before the window: dave is a regular here
             ("alice", "We agreed: the beta ships on Friday."),
             ("alice", "bob, can you write the announcement by Thursday?"),
             ("bob", "sure"),
             ("carol", "does anyone know who owns the status page?"),
             ("erin", "dave, did the load test finish?")]
    fake_openai.chat.append(text_reply(json.dumps({
        "tldr": "The beta ships on Friday.",
        "key_points": [{"text": "The beta ships on Friday", "sources": [1]}],
        "decisions": [{"text": "The beta ships on Friday", "sources": [1]}],
        "action_items": [{"owner": "bob", "text": "Write the announcement", "due": "Thursday", "asked_by": "alice",
                          "sources": [2, 3]}],
        "open_questions": [{"text": "Who owns the status page?", "sources": [4]},
                           {"text": "Did the load test finish?", "sources": [5]}]})))
    async with open_bot(tmp_path, adapter=LinkingAdapter(), moderator=None, model="openai:gpt-4.1-mini",
                        openai_base_url=fake_openai.base_url, openai_api_key="sk-test") as bot:
        await schedule(bot)
        await talk(bot, lines[:1])
        await asyncio.sleep(0.01)
        await digest_store(bot.deps.store).covered("test:T1:general", datetime.now(UTC).timestamp())  # a digest
        await asyncio.sleep(0.01)
        await talk(bot, lines[1:])
        assert await DigestRunner(bot.deps, bot.pipeline.outbox).tick(await due(bot)) == 1
    [digest] = posted(bot)
    text = digest.text
    assert "**bob**: Write the announcement — due Thursday (asked by alice)" in text
    opened, nobody = text.index("**Open questions**"), text.index("**Unanswered, asked of no one**")
    assert "load test" in text[opened:nobody] and "status page" in text[nobody:]
    assert "written by the language model" not in text  # the digest's footer carries no model accounting
    [request] = fake_openai.requests_to("/v1/chat/completions")
    assert "does anyone know who owns the status page?" in json.dumps(request.json)  # the channel's messages


async def test_a_busy_window_is_capped_and_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import agent.digest.content as content

    monkeypatch.setattr(content, "MAX_MESSAGES", 3)
    async with open_bot(tmp_path) as bot:
        await schedule(bot)
        await talk(bot, CONVERSATION[:5])
        assert await DigestRunner(bot.deps, bot.pipeline.outbox).tick(await due(bot)) == 1
    [digest] = posted(bot)
    assert "3 messages from" in digest.text and "only the newest 3 of 5 messages were read" in digest.text
