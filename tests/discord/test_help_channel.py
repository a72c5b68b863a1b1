"""Help-channel mode on Discord, through the real discord.py client on the fake gateway and REST API: a forum
post (THREAD_CREATE under a type-15 channel, then its starter message) answered in its thread and marked, the
helper role pinged with ``allowed_mentions`` for that role only, and MESSAGE_REACTION_ADD ❌ opting out or
deleting the answer."""

from __future__ import annotations

import asyncio
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.discord import ALICE, BOB, GENERAL_ID, GUILD_ID, FakeDiscord, forum_channel, settle

SAMPLE = Path(__file__).resolve().parents[2] / "knowledge"
FORUM_ID = 1300000000000000009
HELPERS_ROLE = "1500000000000000009"
KEY = f"discord:{GUILD_ID}:{GENERAL_ID}"
FORUM_KEY = f"discord:{GUILD_ID}:{FORUM_ID}"
GUILD_MESSAGE_REACTIONS = 1 << 10
PING = re.compile(r"<@[!&]?\d+>|(?<![\w@\u200b])@(everyone|here)\b")


@pytest.fixture
def forum(fake_discord: FakeDiscord) -> FakeDiscord:
    fake_discord.extra_channels.append(forum_channel(FORUM_ID, "help-forum"))
    return fake_discord


async def help_bot(discord_bot: Any, tmp_path: Path, key: str, **overrides: Any) -> tuple[Any, Any]:
    shutil.copytree(SAMPLE, tmp_path / "knowledge", dirs_exist_ok=True)
    adapter, pipeline = await discord_bot(**{"help_grace_s": 0, **overrides})
    await pipeline.deps.knowledge.prepare()
    await pipeline.deps.store.channel_settings.set(key, "help_channel", "on")
    return adapter, pipeline


async def test_a_forum_post_is_answered_in_its_thread_then_hidden_by_its_author(
        discord_bot: Any, forum: FakeDiscord, tmp_path: Path) -> None:
    adapter, pipeline = await help_bot(discord_bot, tmp_path, FORUM_KEY)
    thread, starter = forum.forum_post(FORUM_ID, "Retention?", "How long do you keep messages?", author=BOB)
    await forum.dispatch("THREAD_CREATE", thread)
    await forum.dispatch("MESSAGE_CREATE", starter)
    await settle(adapter)
    [answer] = forum.posted(int(thread["id"]))
    assert answer.content.startswith("_Answered automatically from the docs.")
    assert "CONFAB_RETENTION_DAYS" in answer.content
    assert answer.json["allowed_mentions"] == {"parse": [], "replied_user": False}
    assert not PING.search(answer.content)
    assert forum.posted(FORUM_ID) == [] and forum.posted(GENERAL_ID) == []
    posted = forum.messages[int(thread["id"])][-1]
    await forum.dispatch("MESSAGE_REACTION_ADD", forum.reaction(posted, "❌", who=BOB))
    await settle(adapter)
    [deleted] = forum.calls("DELETE", rf"/channels/{thread['id']}/messages/{posted['id']}")
    assert deleted
    stored = await pipeline.deps.store.messages.get(FORUM_KEY, posted["id"])
    assert stored is None or stored.deleted


async def test_not_covered_pings_the_helper_role_only(discord_bot: Any, fake_discord: FakeDiscord,
                                                      tmp_path: Path) -> None:
    adapter, pipeline = await help_bot(discord_bot, tmp_path, KEY)
    await pipeline.deps.store.channel_settings.set(KEY, "help_group", HELPERS_ROLE)
    question = fake_discord.message("Who won the football world cup in 1998? @everyone <@1400000000000000002>",
                                    author=BOB)
    await fake_discord.dispatch("MESSAGE_CREATE", question)
    await fake_discord.dispatch("MESSAGE_CREATE", question)  # a replayed event: one note
    await settle(adapter)
    [note] = fake_discord.posted(int(question["id"]))  # in the thread opened on the post
    assert note.content.startswith(f"<@&{HELPERS_ROLE}> ") and "docs don't cover" in note.content
    assert not PING.search(note.content.removeprefix(f"<@&{HELPERS_ROLE}>"))
    allowed = note.json["allowed_mentions"]  # that role only: no @everyone, users or other roles parsed
    assert allowed["parse"] == [] and [str(r) for r in allowed["roles"]] == [HELPERS_ROLE]
    assert set(allowed) == {"parse", "roles", "replied_user"} and allowed["replied_user"] is False


async def test_a_cross_on_the_post_during_the_grace_stops_the_answer(discord_bot: Any, fake_discord: FakeDiscord,
                                                                   tmp_path: Path) -> None:
    adapter, _ = await help_bot(discord_bot, tmp_path, KEY, help_grace_s=1.0)
    assert fake_discord.identifies[0]["intents"] & GUILD_MESSAGE_REACTIONS  # Discord sends reactions only then
    question = fake_discord.message("How long do you keep messages?", author=BOB)
    await fake_discord.dispatch("MESSAGE_CREATE", question)
    await asyncio.sleep(0.2)
    await fake_discord.dispatch("MESSAGE_REACTION_ADD", fake_discord.reaction(question, "❌", who=ALICE))
    await settle(adapter)
    assert fake_discord.posted() == []


async def test_a_cross_on_an_answer_in_a_thread_confab_opened(discord_bot: Any, fake_discord: FakeDiscord,
                                                             tmp_path: Path) -> None:
    """The thread opened on a channel's post is not in the client's cache: its parent is fetched."""
    adapter, _ = await help_bot(discord_bot, tmp_path, KEY)
    question = fake_discord.message("How long do you keep messages?", author=BOB)
    await fake_discord.dispatch("MESSAGE_CREATE", question)
    await settle(adapter)
    assert adapter.client.get_channel(int(question["id"])) is None
    [answer] = fake_discord.posted(int(question["id"]))
    assert answer.content.startswith("_Answered automatically from the docs.")
    posted = fake_discord.messages[int(question["id"])][-1]
    await fake_discord.dispatch("MESSAGE_REACTION_ADD", fake_discord.reaction(posted, "👍", who=BOB))
    await fake_discord.dispatch("MESSAGE_REACTION_ADD", fake_discord.reaction(posted, "❌", who=BOB))
    await settle(adapter)
    assert len(fake_discord.calls("DELETE", rf"/channels/{question['id']}/messages/{posted['id']}")) == 1
