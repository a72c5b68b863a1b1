"""/summarize, the summarize_thread shortcut and the agent tool, through the real pipeline."""

import json
import time
from datetime import UTC, datetime, timedelta

from langchain_core.language_models.fake_chat_models import FakeListChatModel

from agent.summarize.model import MAX_MESSAGES
from bot.events import Author, ChannelRef, IncomingMessage
from tests.stored_rows import sqlite_db

TALK = [
    ("alice", "The nightly invoice batch keeps timing out on the billing database."),
    ("bob", "The invoice batch holds a lock on the invoices table for ten minutes."),
    ("carol", "We decided to split the invoice batch into chunks of 500."),
    ("bob", "I'll write the chunking migration for the invoice batch by Thursday."),
    ("dave", "Who reviews the billing dashboards after the change?"),
]


async def say_all(bot, talk=TALK, **kwargs) -> None:  # type: ignore[no-untyped-def]
    for user, text in talk:
        await bot.say(text, user=user, **kwargs)


async def test_summarize_is_private_by_default_and_complete(bot) -> None:  # type: ignore[no-untyped-def]
    await say_all(bot)
    [reply] = await bot.command("summarize")
    assert reply.ephemeral and reply.user_id == "alice"
    text = reply.text
    for part in ("TL;DR", "Key points", "Decisions", "Action items", "Open questions", "Participants", "Mood"):
        assert part in text
    assert "5 messages from 4 people" in text
    assert "**bob**: Write the chunking migration" in text
    assert "(#5)" in text  # dave's open question cites its message


async def test_public_posts_to_the_channel(bot) -> None:  # type: ignore[no-untyped-def]
    await say_all(bot)
    [reply] = await bot.command("summarize", "last 3 public")
    assert not reply.ephemeral
    assert "3 messages from 3 people" in reply.text and "the last 3 messages" in reply.text


async def test_nonsense_scope_gets_a_clear_reply(bot) -> None:  # type: ignore[no-untyped-def]
    await say_all(bot)
    [reply] = await bot.command("summarize", "since tomorrow")
    assert reply.ephemeral and "future" in reply.text and "/summarize last 50" in reply.text


async def test_empty_channel(bot) -> None:  # type: ignore[no-untyped-def]
    [reply] = await bot.command("summarize")
    assert "nothing to summarize" in reply.text.lower()


async def test_bot_messages_commands_deleted_and_edited(bot) -> None:  # type: ignore[no-untyped-def]
    await say_all(bot)
    await bot.say("SECRET bot chatter", user="confab", bot=True, id="b1")
    await bot.say("DELETEME this message will be deleted", user="erin", id="d1")
    await bot.delete("d1")
    await bot.say("The release train leaves on Tuesday", user="erin", id="e1")
    await bot.edit("e1", "The release train leaves on Wednesday after the invoice fix", user="erin")
    [reply] = await bot.command("summarize")
    assert "SECRET" not in reply.text and "DELETEME" not in reply.text
    assert "Tuesday" not in reply.text
    assert "6 messages from 5 people" in reply.text
    assert "1 of my own messages left out" in reply.text


async def test_platform_history_is_merged_without_duplicates(bot) -> None:  # type: ignore[no-untyped-def]
    await say_all(bot)
    channel = ChannelRef("test", "T1", "general")
    old = datetime.now(UTC) - timedelta(minutes=30)
    bot.adapter.history = [
        IncomingMessage("h1", channel, Author("zoe", "zoe"), "Before the bot joined we planned the invoice batch "
                        "rewrite for the billing database.", created_at=old),
        IncomingMessage("h2", channel, Author("zoe", "zoe"), "Zoe thinks the invoice batch needs an index.",
                        created_at=old + timedelta(minutes=1)),
    ]
    # the pipeline stored m1.. ids; the platform also returns one of them again
    stored = await bot.pipeline.deps.store.messages.recent(channel.key, limit=1)
    bot.adapter.history.append(IncomingMessage(stored[0].id, channel, Author("dave", "dave"), stored[0].text,
                                               created_at=stored[0].created_at))
    [reply] = await bot.command("summarize")
    assert "7 messages from 5 people" in reply.text  # 5 stored + 2 from the platform, the repeat once
    # a second summary right away does not hit the platform again (rate limit), and says so
    [again] = await bot.command("summarize")
    assert "only my memory was used" in again.text


async def test_twenty_thousand_messages_are_bounded_with_a_note(bot) -> None:  # type: ignore[no-untyped-def]
    memory = bot.pipeline.deps.store
    key = "test:T1:general"
    now = time.time()
    total = MAX_MESSAGES + 50
    rows = [(key, f"x{i}", None, f"u{i % 40}", f"user{i % 40}", f"update {i} on the rollout of service {i % 13}",
             now - (total - i), 0, None, 0) for i in range(total)]
    await sqlite_db(memory).write_many("INSERT INTO messages (channel_key, id, thread, author_id, author_name, "
                                       "text, created_at, is_bot, edited_at, deleted) VALUES (?,?,?,?,?,?,?,?,?,?)",
                                       rows)
    [reply] = await bot.command("summarize", "since 1d")
    assert f"the newest {MAX_MESSAGES:,} of {total:,} messages" in reply.text
    assert f"{MAX_MESSAGES:,} messages from 40 people" in reply.text


async def test_mixed_languages_and_a_single_message(bot) -> None:  # type: ignore[no-untyped-def]
    await bot.say("El despliegue falló anoche por la base de datos.", user="ana")
    [one] = await bot.command("summarize")
    assert "1 message from 1 person" in one.text and "despliegue" in one.text
    await bot.say("デプロイは明日に延期します。", user="kenji")
    await bot.say("Wir verschieben das Release auf Freitag.", user="lena")
    [reply] = await bot.command("summarize")
    assert "3 messages from 3 people" in reply.text


async def test_thread_shortcut_summarizes_that_thread(bot) -> None:  # type: ignore[no-untyped-def]
    await bot.say("Root: should we move the invoice batch to a queue?", user="alice", id="root")
    await say_all(bot, TALK[:3], thread="root")
    await bot.say("Unrelated lunch plans in the channel", user="erin")
    [reply] = await bot.command("summarize_thread", target="root")
    assert "4 messages" in reply.text and "lunch" not in reply.text


async def test_agent_tool_answers_a_mention(bot) -> None:  # type: ignore[no-untyped-def]
    await say_all(bot)
    answer = await bot.say("@confab can you summarize since 2h?")
    assert "TL;DR" in answer and "5 messages from 4 people" in answer


async def test_a_window_in_hours_asked_in_words_is_hours_not_messages(bot) -> None:  # type: ignore[no-untyped-def]
    """"@confab summarize the last 2 hours" summarized the last 2 messages ("last 2" was all it read), and "… the last
    hour" the default window, saying neither."""
    await say_all(bot)
    two_hours = await bot.say("@confab summarize the last 2 hours please")
    assert "(the last 2 hours)" in two_hours and "5 messages from 4 people" in two_hours
    assert "(the last hour)" in await bot.say("@confab can you summarise the past hour?")
    assert "2 messages from 2 people" in await bot.say("@confab summarize the last 2 messages")


async def test_llm_path_is_used_when_a_model_is_configured(bot) -> None:  # type: ignore[no-untyped-def]
    await say_all(bot)
    summarizer = bot.pipeline.deps.summarizer
    summarizer.settings = summarizer.settings.model_copy(update={"model": "openai:fake"})
    summarizer.chat_model = FakeListChatModel(responses=[json.dumps(
        {"tldr": "Invoice batch gets split.", "key_points": [{"text": "Lock is too long", "sources": [2]}]})])
    [reply] = await bot.command("summarize")
    assert "Invoice batch gets split." in reply.text and "1 calls" in reply.text
    summarizer.chat_model = FakeListChatModel(responses=["not json at all"])
    [fallback] = await bot.command("summarize")
    assert "offline summary" in fallback.text and "TL;DR" in fallback.text


async def test_quoted_mentions_never_ping(bot) -> None:  # type: ignore[no-untyped-def]
    await bot.say("@everyone the deploy of the billing service is blocked on <@U12345> review", user="alice")
    await bot.say("@here billing deploy blocked until the review is done <!channel>", user="bob")
    [reply] = await bot.command("summarize", "public")
    assert "billing" in reply.text
    for ping in ("@everyone", "@here", "<@U12345>", "<!channel>"):
        assert ping not in reply.text


async def test_platform_without_private_replies_says_so(bot) -> None:  # type: ignore[no-untyped-def]
    from dataclasses import replace

    await say_all(bot)
    bot.adapter.capabilities = replace(bot.adapter.capabilities, ephemeral=False)
    [reply] = await bot.command("summarize", "last 2")
    assert not reply.ephemeral and "no private replies" in reply.text
    assert "2 messages from 2 people" in reply.text


async def test_failing_or_odd_platform_history_falls_back_to_memory(bot) -> None:  # type: ignore[no-untyped-def]
    await say_all(bot)
    channel = ChannelRef("test", "T1", "general")

    async def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise ConnectionError("platform down")

    bot.adapter.fetch_history = broken
    [reply] = await bot.command("summarize")
    assert "5 messages from 4 people" in reply.text and "history was unavailable" in reply.text
    naive = (datetime.now(UTC) - timedelta(minutes=5)).replace(tzinfo=None)  # an adapter bug we tolerate
    bot.adapter.history = [IncomingMessage("n1", channel, Author("zoe", "zoe"), "Naive timestamps happen",
                                           created_at=naive)]
    del bot.adapter.fetch_history  # back to the recording adapter's method
    bot.pipeline.deps.summarizer._last_fetch.clear()
    [again] = await bot.command("summarize")
    assert "6 messages from 5 people" in again.text


async def test_summarize_about_a_topic(bot) -> None:  # type: ignore[no-untyped-def]
    await say_all(bot, [*TALK, ("erin", "The office party is on Friday at the rooftop bar."),
                        ("frank", "Bring snacks to the office party on the rooftop.")])
    [reply] = await bot.command("summarize", "public about the office party")
    assert "about the office party" in reply.text.split("\n")[0] and not reply.ephemeral
    assert "rooftop" in reply.text and "invoice" not in reply.text
    [trailing] = await bot.command("summarize", "about the office party public")  # the flag, said last
    assert "about the office party**" in trailing.text and not trailing.ephemeral
    [topic] = await bot.command("summarize", "about public")  # the topic is the word itself
    assert "about public**" in topic.text and topic.ephemeral
    [missing] = await bot.command("summarize", "about quarterly hiring")
    assert "Nothing in these messages is about quarterly hiring." in missing.text


async def test_a_mention_asking_about_a_topic_summarizes_that_topic(bot) -> None:  # type: ignore[no-untyped-def]
    """"@confab summarize about the office party" summarized the whole channel (invoices and all): only
    `/summarize about …` read the topic."""
    await say_all(bot, [*TALK, ("erin", "The office party is on Friday at the rooftop bar."),
                        ("frank", "Bring snacks to the office party on the rooftop.")])
    for asked in ("@confab summarize about the office party", "@confab summarize what was said about the office party"):
        reply = await bot.say(asked, user="gina")
        assert "about the office party" in reply.split("\n")[0], reply
        assert "rooftop" in reply and "invoice" not in reply
