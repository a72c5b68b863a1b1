"""Richer Discord output through the real discord.py client against the fake REST API: a summary as a
components-v2 layout whose link buttons open its source messages and pings nobody, plain text when a layout
would pass Discord's limits, and ``/brainstorm wrap`` opening a poll on the top ideas (number reactions on the
wrap-up when a poll can't be sent)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from agent.layout import Item, Layout, Section, Source
from bot.events import ChannelRef, Reply
from tests.fakes.discord import (
    ALICE,
    ALL_TEXT_PERMISSIONS,
    BOB,
    BOT_USER,
    GENERAL_ID,
    GUILD_ID,
    MODERATE_MEMBERS,
    FakeDiscord,
    settle,
    thread_channel,
)
from tests.fakes.discord_limits import SEND_POLLS, walk
from tests.fakes.scripted_model import ScriptedModel

LINK_STYLE = 5
PING = re.compile(r"<@[!&]?\d+>|(?<![\w@\u200b])@(everyone|here)\b")
THREAD_ID = 1800000000000000007
GENERAL = ChannelRef("discord", str(GUILD_ID), str(GENERAL_ID))


def option(name: str, value: Any, kind: int = 3) -> dict[str, Any]:
    return {"name": name, "type": kind, "value": value}


def pings_nobody(request: Any) -> bool:
    mentions = request.json["allowed_mentions"]
    return mentions["parse"] == [] and not mentions.get("users") and not mentions.get("roles")


def jump_url(channel_id: int, message: dict[str, Any]) -> str:
    return f"https://discord.com/channels/{GUILD_ID}/{channel_id}/{message['id']}"


async def test_a_summary_is_a_layout_with_link_buttons_to_its_sources_and_no_pings(
        discord_bot: Any, fake_discord: FakeDiscord) -> None:
    adapter, _ = await discord_bot(ScriptedModel(steps=[]))
    said = [fake_discord.message("We decided to ship the release on Friday. @everyone"),
            fake_discord.message(f"Agreed, Friday works. <@{BOB['id']}> writes the release notes.", author=BOB),
            fake_discord.message("Should we also freeze merges on Thursday?")]
    for message in said:
        await fake_discord.dispatch("MESSAGE_CREATE", message)
    await fake_discord.dispatch("INTERACTION_CREATE",
                                fake_discord.interaction("summarize", [option("public", True, kind=5)]))
    await settle(adapter)
    [summary] = fake_discord.followups()
    assert summary.is_layout and not summary.content and not summary.json.get("embeds")
    assert "Friday" in summary.text and "TL;DR" in summary.text
    assert not PING.search(summary.text), summary.text
    assert pings_nobody(summary)
    links = {b["url"] for b in summary.buttons if b.get("style") == LINK_STYLE}
    assert links and links <= {jump_url(GENERAL_ID, m) for m in said}, links
    assert any(b.get("custom_id", "").startswith("confab:fb:up") for b in summary.buttons)  # still rated
    assert len(walk(summary.components)) <= 40


async def test_a_summary_asked_for_by_mention_or_ask_is_the_same_card(discord_bot: Any,
                                                                    fake_discord: FakeDiscord) -> None:
    """Offline, "@confab summarize this channel" and "/ask summarize this channel" answer with the summary tool's
    output: the same card as /summarize, not its text."""
    adapter, _ = await discord_bot()
    said = [fake_discord.message("We decided to ship the release on Friday."),
            fake_discord.message("Agreed, Friday works. I'll write the release notes.", author=BOB),
            fake_discord.message("Should we also freeze merges on Thursday?")]
    for message in said:
        await fake_discord.dispatch("MESSAGE_CREATE", message)
    await fake_discord.dispatch("MESSAGE_CREATE", fake_discord.message(
        f"<@{BOT_USER['id']}> summarize this channel please", mentions=[BOT_USER]))
    await fake_discord.dispatch("INTERACTION_CREATE", fake_discord.interaction(
        "ask", [option("question", "summarize this channel")]))
    await settle(adapter)
    [by_mention] = [r for r in fake_discord.posted(GENERAL_ID) if r.is_layout]
    [by_ask] = [r for r in fake_discord.followups() if r.is_layout]
    for summary in (by_mention, by_ask):
        assert "Friday" in summary.text and "TL;DR" in summary.text and pings_nobody(summary)
        links = {b["url"] for b in summary.buttons if b.get("style") == LINK_STYLE}
        assert links and links <= {jump_url(GENERAL_ID, m) for m in said}, links
        assert any(b.get("custom_id", "").startswith("confab:fb:up") for b in summary.buttons)  # an answer: rated


async def test_a_layout_past_discords_limits_is_posted_as_plain_text(discord_bot: Any,
                                                                     fake_discord: FakeDiscord) -> None:
    adapter, _ = await discord_bot(ScriptedModel(steps=[]))
    assert adapter.outbox is not None
    source = Source("#1", jump_url(GENERAL_ID, {"id": "1900000000000000001"}))
    many = Layout("**Many sections**", tuple(Section(f"**Part {n}**", (Item(f"point {n}", (source,)),))
                                             for n in range(25)))
    long = Layout("**Long**", (Section("**Words**", tuple(Item("word " * 200) for _ in range(5))),))
    capped = Layout("**Linked**", tuple(Section(f"**Part {n}**", tuple(
        Item(f"point {n}.{k}", (Source(f"#{k}", jump_url(GENERAL_ID, {"id": str(1900000000000000001 + k)})),))
        for k in range(6))) for n in range(5)))
    sent = []
    for layout in (many, long, capped):
        before = len(fake_discord.posted(GENERAL_ID))
        await adapter.outbox.send(Reply(GENERAL, layout.markdown(), layout=layout))
        await settle(adapter)
        sent.append(fake_discord.posted(GENERAL_ID)[before:])
    (*many_parts,), (*long_parts,), [linked] = sent
    for parts in (many_parts, long_parts):  # 26 sections over 40 components; 5,000 characters over 4,000
        assert len(parts) >= 2 and not any(p.is_layout or p.components for p in parts)
    assert "point 24" in many_parts[-1].content and "word" in long_parts[-1].content
    assert linked.is_layout and not linked.content
    buttons = [b for b in linked.buttons if b.get("style") == LINK_STYLE]
    assert 0 < len(buttons) < 25 and len(walk(linked.components)) <= 40  # link buttons capped to fit
    assert all(pings_nobody(r) for r in fake_discord.posted(GENERAL_ID))


async def in_a_brainstorm(discord_bot: Any, fake_discord: FakeDiscord, **settings: Any) -> tuple[Any, list[Any]]:
    """A bot following a brainstorm in a thread, with four ideas posted there (the first one +1'd twice)."""
    adapter, _ = await discord_bot(ScriptedModel(steps=[]), **settings)
    thread = thread_channel(THREAD_ID, "ci time", GENERAL_ID, ALICE["id"])
    fake_discord.threads[THREAD_ID] = thread
    await fake_discord.dispatch("THREAD_CREATE", {**thread, "newly_created": True})
    await fake_discord.dispatch("INTERACTION_CREATE", fake_discord.interaction(
        "brainstorm", [option("topic", "ways to cut CI time")], channel_id=THREAD_ID))
    await settle(adapter)
    ideas = [fake_discord.message(text, author=who, channel_id=THREAD_ID) for who, text in (
        (ALICE, "Cache the docker layers between CI runs"),
        (BOB, "+1"),
        (BOB, "Run the test shards in parallel on more runners"),
        (ALICE, "Split the slow integration tests into a nightly job"),
        (BOB, "Drop the duplicated lint step from the pipeline"))]
    for message in ideas:
        await fake_discord.dispatch("MESSAGE_CREATE", message)
        await settle(adapter)
    return adapter, [m for m in ideas if m["content"] != "+1"]


async def test_brainstorm_wrap_opens_a_poll_on_the_top_ideas(discord_bot: Any, fake_discord: FakeDiscord) -> None:
    adapter, ideas = await in_a_brainstorm(discord_bot, fake_discord)
    before = len(fake_discord.followups())
    await fake_discord.dispatch("INTERACTION_CREATE",
                                fake_discord.interaction("brainstorm", [option("topic", "wrap")], channel_id=THREAD_ID))
    await settle(adapter)
    wrap, poll = fake_discord.followups()[before:]
    assert wrap.is_layout and "Brainstorm wrap-up" in wrap.text and "Top ideas" in wrap.text and pings_nobody(wrap)
    links = {b["url"] for b in wrap.buttons if b.get("style") == LINK_STYLE}
    assert jump_url(THREAD_ID, ideas[0]) in links and links <= {jump_url(THREAD_ID, m) for m in ideas}
    assert poll.poll is not None and pings_nobody(poll) and not poll.is_layout
    answers = [a["poll_media"]["text"] for a in poll.poll["answers"]]
    assert len(answers) == 3 and answers[0] == "#1 Cache the docker layers between CI runs"
    assert all(len(a) <= 55 for a in answers) and poll.poll["duration"] == 24
    assert "CI time" in poll.poll["question"]["text"]
    assert fake_discord.reactions() == []


@pytest.mark.parametrize("refused", ["http error", "no permission"])
async def test_a_wrap_up_whose_poll_cant_be_sent_gets_number_reactions(discord_bot: Any, fake_discord: FakeDiscord,
                                                                       refused: str) -> None:
    if refused == "http error":
        fake_discord.refuse_polls = 400
    else:
        fake_discord.bot_permissions = (ALL_TEXT_PERMISSIONS | MODERATE_MEMBERS) & ~SEND_POLLS
    adapter, _ = await in_a_brainstorm(discord_bot, fake_discord)
    before = len(fake_discord.followups())
    await fake_discord.dispatch("INTERACTION_CREATE",
                                fake_discord.interaction("brainstorm", [option("topic", "wrap")], channel_id=THREAD_ID))
    await settle(adapter)
    [wrap, *tried] = fake_discord.followups()[before:]
    assert wrap.is_layout and "Top ideas" in wrap.text
    assert len(tried) == (1 if refused == "http error" else 0)  # without the permission, no poll is tried
    assert fake_discord.reactions(wrap.answer["id"]) == ["1️⃣", "2️⃣", "3️⃣"] == fake_discord.reactions()
    assert fake_discord.calls("PUT", rf"/channels/{THREAD_ID}/messages/{wrap.answer['id']}/reactions/[^/]+/@me")


async def test_a_wrap_up_asked_by_mention_opens_its_poll_in_the_thread(discord_bot: Any,
                                                                       fake_discord: FakeDiscord) -> None:
    adapter, _ = await in_a_brainstorm(discord_bot, fake_discord)
    await fake_discord.dispatch("MESSAGE_CREATE", fake_discord.message(
        f"<@{BOT_USER['id']}> /brainstorm wrap", channel_id=THREAD_ID, mentions=[BOT_USER]))
    await settle(adapter)
    wrap, poll = fake_discord.posted(THREAD_ID)[-2:]
    assert wrap.is_layout and "Brainstorm wrap-up" in wrap.text and pings_nobody(wrap)
    assert poll.poll is not None and len(poll.poll["answers"]) == 3 and pings_nobody(poll)
