"""Help-channel mode through the real pipeline (bot/pipeline/helpdesk.py), offline, with the shipped docs: a new
post is answered from the knowledge base by itself only when it covers the question, in the post's thread and
marked; silent (or one note pinging the helper group) otherwise; never twice; backs off when a person answers
first; a ❌ opts a post out or hides the answer."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from bot.events import Author, IncomingMessage, Reaction, Reply
from bot.pipeline.helpdesk import MARK, NOTE, help_source
from bot.pipeline.ingest import accept_form
from tests.fakes.harness import Bot, open_bot

SAMPLE = Path(__file__).resolve().parents[2] / "knowledge"
COVERED = "How long do you keep messages?"
NOT_COVERED = "Who won the football world cup in 1998?"
KEY = "test:T1:help"


@pytest.fixture
async def docs(tmp_path: Path) -> Path:
    shutil.copytree(SAMPLE, tmp_path / "knowledge", dirs_exist_ok=True)
    return tmp_path


@pytest.fixture
async def bot(docs: Path) -> AsyncIterator[Bot]:
    async with open_bot(docs, moderator=None, help_grace_s=0) as bot:
        await bot.deps.knowledge.prepare()
        yield bot


async def help_on(bot: Bot, group: str | None = None) -> None:
    replies = await bot.command("confab", "settings help_channel on", channel="help", admin=True)
    assert "Help-channel mode is on" in replies[0].text
    if group is not None:
        replies = await bot.command("confab", f"settings help_group {group}", channel="help", admin=True)
        assert "Set `help_group`" in replies[0].text


async def post(chat: Bot, text: str, **kwargs: Any) -> list[Reply]:
    kwargs.setdefault("channel", "help")
    return await chat.deliver(chat.message(text, **kwargs))


def react(bot: Bot, message_id: str, user: str = "alice", emoji: str = "❌", admin: bool = False) -> Reaction:
    return Reaction(bot.channel("help"), message_id, emoji, Author(user, user, is_admin=admin))


async def test_off_by_default_and_only_admins_turn_it_on(bot: Bot) -> None:
    assert await post(bot, COVERED) == []  # no behaviour change in a channel nobody set
    refused = await bot.command("confab", "settings help_channel on", channel="help")
    assert "Only admins" in refused[0].text
    assert await post(bot, COVERED) == []
    shown = await bot.command("confab", "settings", channel="help")
    assert "`help_channel` = `off`" in shown[0].text and "`help_group` = not set" in shown[0].text
    bad = await bot.command("confab", "settings help_channel maybe", channel="help", admin=True)
    assert "must be one of: on, off" in bad[0].text
    await help_on(bot)
    off = await bot.command("confab", "settings help_channel off", channel="help", admin=True)
    assert "Help-channel mode is off" in off[0].text
    assert await post(bot, COVERED) == []
    assert await bot.deps.store.pending.owed() == []


async def test_a_covered_question_is_answered_in_its_thread_and_marked(bot: Bot) -> None:
    await help_on(bot)
    message = bot.message(COVERED, channel="help")
    [reply] = await bot.deliver(message)
    assert reply.channel.thread == message.id and reply.reply_to == message.id
    assert reply.text.startswith(MARK + "\n\nFrom the docs:") and "CONFAB_RETENTION_DAYS" in reply.text
    assert "privacy.md" in reply.text and reply.rated is not None and reply.mention_group is None
    assert await bot.deps.store.pending.get(KEY, message.id) is None  # settled
    # the thread is left to people (a mention asks Confab more); other channels are unchanged
    assert await bot.say("And can I change that?", channel="help", thread=message.id, user="bob") == ""
    asked = await bot.say("@confab how long do you keep messages?", channel="help", thread=message.id)
    assert asked.startswith("From the docs")
    assert await bot.say(COVERED, channel="general") == ""


async def test_not_covered_stays_silent_or_pings_the_helper_group_once(bot: Bot) -> None:
    await help_on(bot)
    assert await post(bot, NOT_COVERED) == []
    await help_on(bot, group="helpers")
    message = bot.message(NOT_COVERED + " @everyone <@U0ADMIN>", channel="help")
    [note] = await bot.deliver(message)
    assert note.text == NOTE and note.mention_group == "helpers" and note.rated is None
    assert note.channel.thread == message.id
    assert await bot.deliver(message) == []  # a redelivery: nothing more
    none = await bot.command("confab", "settings help_group none", channel="help", admin=True)
    assert "No helper group" in none[0].text
    assert await post(bot, "Who won the football world cup in 2002?") == []


async def test_a_question_the_docs_only_weakly_cover_is_left_to_people(bot: Bot) -> None:
    """"is there a way to make confab answer in spanish?" was answered by itself with "The docs may not answer
    this exactly; the closest I found: …": an answer that says it is unsure is no answer a help channel gives."""
    question = "is there a way to make confab answer in spanish?"
    asked = await bot.say(f"@confab {question}", channel="general")
    assert asked.startswith("The docs may not answer this exactly")  # a mention still gets the closest passage
    await help_on(bot, group="helpers")
    [note] = await post(bot, question)
    assert note.text == NOTE and note.mention_group == "helpers"


async def test_help_group_values_are_checked(bot: Bot) -> None:
    for value in ("@everyone", "here", "<@U0ADMIN>", "a b", "x" * 300):
        replies = await bot.command("confab", f"settings help_group {value}", channel="help", admin=True)
        assert "I can't tell which group" in replies[0].text or "Usage" in replies[0].text, value
    assert await bot.deps.store.channel_settings.get(KEY, "help_group") is None
    refused = await bot.command("confab", "settings help_group helpers", channel="help")
    assert "Only admins" in refused[0].text


async def test_not_questions_bots_replies_and_mentions_are_not_auto_answered(bot: Bot) -> None:
    await help_on(bot, group="helpers")
    assert await post(bot, "good morning team") == []  # small talk
    assert await post(bot, "thanks!") == []
    assert await post(bot, COVERED, user="otherbot", bot=True) == []
    root = bot.message("deploy notes", channel="help")
    await bot.deliver(root)
    assert await post(bot, COVERED, thread=root.id, user="bob") == []  # a reply in a thread is not a post
    mention = await post(bot, "@confab how long do you keep messages?")
    assert len(mention) == 1 and not mention[0].text.startswith(MARK)  # answered as usual


async def test_a_forum_post_is_a_post(bot: Bot) -> None:
    """A Discord forum post's starter message has its thread's id: it is answered in that thread."""
    await help_on(bot)
    message = bot.message(COVERED, channel="help", thread="forum-1", id="forum-1")
    [reply] = await bot.deliver(message)
    assert reply.channel.thread == "forum-1" and reply.text.startswith(MARK)


async def test_it_backs_off_when_a_person_answers_within_the_grace(docs: Path) -> None:
    async with open_bot(docs, moderator=None, help_grace_s=0.5) as bot:
        await bot.deps.knowledge.prepare()
        await help_on(bot)
        first = bot.message(COVERED, channel="help")
        waiting = asyncio.create_task(bot.deliver(first))
        await asyncio.sleep(0.1)
        await bot.deliver(bot.message("It's in the privacy doc: 90 days.", channel="help", thread=first.id,
                                      user="bob"))
        assert await waiting == []
        assert await bot.deps.store.pending.get(KEY, first.id) is None  # let go, not left owed
        # the asker adding details is no answer
        second = bot.message(COVERED, channel="help", user="carol")
        waiting = asyncio.create_task(bot.deliver(second))
        await asyncio.sleep(0.1)
        await bot.deliver(bot.message("(on Slack, if that matters)", channel="help", thread=second.id, user="carol"))
        [reply] = await waiting
        assert reply.text.startswith(MARK)
        # turned off during the grace: nothing
        third = bot.message(COVERED, channel="help", user="dave")
        waiting = asyncio.create_task(bot.deliver(third))
        await asyncio.sleep(0.1)
        await bot.command("confab", "settings help_channel off", channel="help", admin=True)
        assert await waiting == []


async def test_never_twice_on_redelivery_or_a_resumed_answer(bot: Bot) -> None:
    await help_on(bot)
    message = bot.message(COVERED, channel="help")
    accepted = await bot.pipeline.accept(message)  # stored with its answer owed; then the process "died"
    assert accepted is not None and accepted.owed
    assert await bot.pipeline.resume() == 1  # the next start answers it
    await bot.pipeline.drain()
    [reply] = bot.adapter.sent
    assert reply.text.startswith(MARK) and reply.channel.thread == message.id
    assert await bot.deps.store.pending.owed() == []
    assert await bot.pipeline.resume() == 0
    assert await bot.deliver(message) == []  # the platform delivered it again
    # the answer computed again (a job run twice, a second replica's run): posted once
    await bot.pipeline.process(replace(accept_form(message), owed=True))
    assert len(bot.adapter.sent) == 1
    assert (await bot.deps.store.replies.claim(help_source(KEY, message.id), KEY, 0.0))[0] == "done"


async def test_a_cross_on_the_post_opts_it_out(docs: Path) -> None:
    async with open_bot(docs, moderator=None, help_grace_s=0.5) as bot:
        await bot.deps.knowledge.prepare()
        await help_on(bot, group="helpers")
        message = bot.message(COVERED, channel="help")
        waiting = asyncio.create_task(bot.deliver(message))
        await asyncio.sleep(0.1)
        await bot.pipeline.handle_reaction(react(bot, message.id, user="dave"))
        assert await waiting == []  # no answer, and no note to the helpers either
        assert await bot.deps.store.pending.get(KEY, message.id) is None
        other = bot.message(COVERED, channel="help")
        waiting = asyncio.create_task(bot.deliver(other))
        await asyncio.sleep(0.1)
        await bot.pipeline.handle_reaction(react(bot, other.id, emoji="👍"))  # any other emoji: nothing
        assert len(await waiting) == 1


async def test_a_cross_on_the_answer_hides_it_for_the_asker_or_an_admin(bot: Bot) -> None:
    await help_on(bot)
    message = bot.message(COVERED, channel="help", user="alice")
    await bot.deliver(message)
    answer_id = (await bot.deps.store.messages.recent(KEY, thread=message.id))[-1].id
    await bot.pipeline.handle_reaction(react(bot, answer_id, user="mallory"))  # not the asker: kept
    assert bot.adapter.deleted == []
    await bot.pipeline.handle_reaction(react(bot, answer_id, user="alice", emoji="x"))  # Slack's name for ❌
    assert bot.adapter.deleted == [answer_id]
    stored = await bot.deps.store.messages.get(KEY, answer_id)
    assert stored is None or stored.deleted
    # an admin may hide one too; a ❌ on the post after its answer does the same
    second = bot.message("How do I deploy Confab?", channel="help", user="bob")
    [reply] = await bot.deliver(second)
    assert reply.text.startswith(MARK)
    await bot.pipeline.handle_reaction(react(bot, second.id, user="bob"))
    assert len(bot.adapter.deleted) == 2
    # an ordinary answer is never deleted by a ❌
    await bot.deliver(bot.message("@confab how do I deploy Confab?", channel="help"))
    ordinary = (await bot.deps.store.messages.recent(KEY))[-1]
    assert ordinary.is_bot
    await bot.pipeline.handle_reaction(react(bot, ordinary.id, user="alice", admin=True))
    assert len(bot.adapter.deleted) == 2


async def test_a_flagged_post_never_reaches_the_answer(docs: Path) -> None:
    class FlagsAll:
        async def screen(self, message: IncomingMessage, adapter: Any, read: Any = None) -> bool:
            return True

        async def rescreen_edit(self, edit: Any, adapter: Any) -> None:
            return None

        async def record_external(self, flag: Any) -> None:
            return None

    async with open_bot(docs, moderator=FlagsAll(), help_grace_s=0) as bot:
        await bot.deps.knowledge.prepare()
        await help_on(bot, group="helpers")
        assert await post(bot, COVERED) == []


async def test_the_console_shows_it_and_reacts_with_react(docs: Path) -> None:
    """The console-like flow: a help channel set, a post answered in its thread, ``/react N ❌`` hides the answer."""
    import io

    from rich.console import Console

    from bot.console.adapter import ConsoleAdapter
    from tests.fakes.settings import make_settings

    settings = make_settings(docs, help_grace_s=0)
    screen = io.StringIO()
    lines = ["/join #help", "/confab settings help_channel on", "How long do you keep messages?",
             "/react 4", "/as bob", "/react 4 ❌", "/as alice", "/react 4 ❌"]
    adapter = ConsoleAdapter(settings.data_dir, user="alice", stdin=io.StringIO("\n".join(lines) + "\n"),
                             console=Console(file=screen, force_terminal=False, width=300))
    async with open_bot(docs, settings=settings, adapter=adapter, start=False, moderator=None) as bot:
        await bot.deps.knowledge.prepare()
        await adapter.start(bot.pipeline, bot.pipeline.outbox)
        await bot.drain()
    out = screen.getvalue()
    assert "[4] (thread 3) confab: _Answered automatically from the docs." in out  # [3]: the post
    assert "* Usage: /react N EMOJI" in out
    assert "* bob reacted ❌ to [4]." in out and "* alice reacted ❌ to [4]." in out
    assert out.count("[4] was hidden") == 1  # by alice, who asked; not by bob
    assert out.index("* bob reacted") < out.index("[4] was hidden") < out.index("* alice reacted")
