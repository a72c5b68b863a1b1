"""``MessageStore.add_screened`` on every backend: a message owed nothing stored with its screen and, in the same
round trip, the author's record exactly as ``SpamStore.author_record`` reads it right after the add (the way the
spam screen read it before); a redelivery stores nothing, and a channel with the ``unless_on`` setting "on" holds
the message back for the caller to store otherwise."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

from agent.memory.models import StoredMessage
from agent.storage.ports import AuthorAsk, FoundMessage, Intake, SpamFlag, Storage
from tests.storage.conftest import Opener

KEY = "slack:T1:C1"
OTHER_CHANNEL = "slack:T1:C2"
SCREEN = '{"channel":["slack","T1","C1",null]}'


def said(i: int, author: str = "u1", channel: str = KEY, when: datetime | None = None,
         is_bot: bool = False) -> StoredMessage:
    return StoredMessage(channel, f"m{i}", author, author, f"message {i}", when or datetime.now(UTC), is_bot=is_bot)


def asking(author: str, now: float) -> AuthorAsk:
    return AuthorAsk(author, now, now - 90 * 86400, before=now - 60)


async def read_after(store: Storage, message: StoredMessage, ask: AuthorAsk) -> Intake:
    """What storing, then reading the author's record (two round trips) gives: the reference."""
    stored = await store.messages.add(message, screen=SCREEN)
    record = await store.spam.author_record(message.channel_key, ask.author_id, ask.now, ask.since, ask.before)
    return Intake(stored, record=record if stored else None)


async def test_the_record_read_with_the_insert_is_the_one_read_after_it(store: Storage, replica: Opener) -> None:
    reference = await replica()  # another replica on the same database reads it the old way: add, then read
    now = datetime.now(UTC)
    t = now.timestamp()
    spam = store.spam
    # ann: posted before, unflagged; a moderator's ham verdict and an exemption here; the channel's own policy
    await store.messages.add(said(1, "ann", OTHER_CHANNEL, now - timedelta(minutes=5)))
    await spam.correct(FoundMessage(OTHER_CHANNEL, "m1", "ann", "message 1", False), "ham", "mod", t - 100)
    await spam.correct(FoundMessage(KEY, "m2", "ann", "message 2", False), "ham", "mod", t - 50, exempt_until=t + 60)
    await store.channel_settings.set(KEY, "spam_policy", "delete")
    # cy: the latest earlier message flagged
    await store.messages.add(said(3, "cy", when=now - timedelta(minutes=3)))
    await spam.record_flag(SpamFlag(KEY, "m3", "cy", "message 3", 0.9, ("x",), "flagged"), replace=True)
    cases = [
        ("ann", now, "m10"),  # exempt, two ham verdicts, posted before, the channel's policy
        ("cy", now, "m11"),  # the latest earlier message flagged
        ("eve", now, "m12"),  # never posted
        ("fay", now - timedelta(minutes=10), "m13"),  # a late redelivery: the message itself counts as before
        ("cy", now - timedelta(minutes=4), "m14"),  # older than cy's flagged message, which stays the newest
    ]
    for author, when, message_id in cases:
        ask = asking(author, t)
        got = await store.messages.add_screened(StoredMessage(KEY, message_id, author, author, "hi", when), SCREEN,
                                                ask)
        expected = await read_after(reference, StoredMessage(KEY, f"{message_id}r", author, author, "hi", when),
                                    ask)
        assert got == expected, (author, message_id)
    first = (await store.messages.add_screened(said(20, "ann"), SCREEN, asking("ann", t))).record
    assert first is not None and first.exempt and first.spam_policy == "delete" and first.posted_before
    assert len(first.verdicts) == 2
    fay = (await store.messages.add_screened(said(21, "fay", when=now - timedelta(minutes=20)), SCREEN,
                                             asking("fay", t))).record
    assert fay is not None and fay.posted_before and not fay.exempt and fay.spam_policy == "delete"


async def test_a_message_added_with_its_screen_is_owed_that_screen_and_stored_once(store: Storage,
                                                                                  replica: Opener) -> None:
    other = await replica()
    message = said(1, when=datetime.now(UTC) - timedelta(minutes=10))
    ask = asking("u1", time.time())
    intakes = await asyncio.gather(*(s.messages.add_screened(message, SCREEN, ask) for s in [store, other] * 5))
    assert sorted(i.stored for i in intakes) == [False] * 9 + [True]
    assert all(i.record is None for i in intakes if not i.stored) and not any(i.held for i in intakes)
    assert await other.messages.count(KEY) == 1
    [(stored, screen)] = await store.messages.unscreened(datetime.now(UTC), ["slack"])
    assert (stored.id, screen) == ("m1", SCREEN)


async def test_a_setting_on_holds_the_message_back(store: Storage) -> None:
    ask = asking("u1", time.time())
    await store.channel_settings.set(KEY, "help_channel", "on")
    await store.channel_settings.set(OTHER_CHANNEL, "help_channel", "off")
    assert await store.messages.add_screened(said(1), SCREEN, ask, unless_on="help_channel") == Intake(False, True)
    assert await store.messages.count(KEY) == 0  # nothing written: the caller stores it as owed instead
    assert (await store.messages.add_screened(said(1), SCREEN, ask)).stored  # not asked: stored
    other = await store.messages.add_screened(said(2, channel=OTHER_CHANNEL), SCREEN, ask, unless_on="help_channel")
    assert other.stored and not other.held
