"""Messages arriving together are stored together (PostgreSQL: one round trip and one commit for a burst's
inserts, :mod:`agent.storage.postgres.group_commit`) with every promise of a lone add kept: one ``True`` per
distinct event however often and wherever it is delivered, a ``True`` only for what was committed, and a batch
that fails fails every caller in it."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from agent.memory.models import StoredMessage
from agent.storage.ports import AuthorAsk, FoundMessage, Intake, PendingAnswer, SpamFlag, Storage
from agent.storage.postgres import Connection, PostgresStorage
from agent.storage.postgres.messages import PostgresMessages
from tests.storage.conftest import Opener
from tests.storage.test_intake import asking, read_after

KEY = "slack:T1:C1"
SCREEN = '{"channel":["slack","T1","C1",null]}'


def said(i: int, text: str | None = None) -> StoredMessage:
    author = f"u{i % 7}"
    return StoredMessage(KEY, f"m{i:03d}", author, author, text or f"message {i}", datetime.now(UTC))


def ask(message: StoredMessage) -> AuthorAsk:
    now = time.time()
    return AuthorAsk(message.author_id, now, now - 90 * 86400, before=now - 60)


def owed(message: StoredMessage) -> PendingAnswer:
    return PendingAnswer(message.channel_key, message.id, payload="{}", created_at=time.time())


async def deliver(store: Storage, i: int) -> bool:
    """Event ``i`` as the ingest stores it: a mention (every 5th) with its answer owed, else a plain message."""
    message = said(i)
    if i % 5 == 0:
        return await store.messages.add(message, owed(message))
    intake = await store.messages.add_screened(message, SCREEN, ask(message))
    assert intake.stored == (intake.record is not None)
    return intake.stored


async def test_a_burst_with_redeliveries_stores_each_event_once(store: Storage, replica: Opener) -> None:
    other = await replica()
    events = list(range(40))
    # every event three times: twice to this replica, once to the other, in shuffled orders
    deliveries = [(s, i) for i in events for s in (store, store, other)]
    deliveries = deliveries[::3] + deliveries[1::3][::-1] + deliveries[2::3]
    got = await asyncio.gather(*(deliver(s, i) for s, i in deliveries))
    first = {i: 0 for i in events}
    for (_, i), stored in zip(deliveries, got, strict=True):
        first[i] += stored
    assert first == {i: 1 for i in events}  # one True per distinct event
    for i in events:  # and what was acknowledged is there, for any replica to read
        assert await other.messages.get(KEY, said(i).id) is not None
    assert await other.messages.count(KEY) == len(events)
    assert {a.message_id for a in await other.pending.owed()} == {said(i).id for i in events if i % 5 == 0}
    if isinstance(store, PostgresStorage):  # they went together, not one by one
        assert store.messages.batched.batches < store.messages.batched.writes


async def test_a_lone_message_is_written_at_once_and_alone(postgres_url: str) -> None:
    store = await PostgresStorage.open(postgres_url)
    try:
        for i in range(3):
            message = said(i)
            assert (await store.messages.add_screened(message, SCREEN, ask(message))).stored
        batched = store.messages.batched
        assert (batched.batches, batched.writes) == (3, 3)
    finally:
        await store.close()


async def test_two_replicas_batches_of_the_same_events_do_not_deadlock(postgres_url: str) -> None:
    """Each batch takes the keys' locks in key order, whatever order its events arrived in."""
    one, two = await PostgresStorage.open(postgres_url), await PostgresStorage.open(postgres_url)
    try:
        events = range(60)
        got = await asyncio.gather(*(deliver(one, i) for i in events), *(deliver(two, i) for i in reversed(events)))
        assert sum(got) == len(events)
        assert one.messages.batched.batches < one.messages.batched.writes
    finally:
        await one.close()
        await two.close()


async def test_a_failing_batch_fails_every_caller_and_stores_nothing(postgres_url: str) -> None:
    store = await PostgresStorage.open(postgres_url)

    async def queue_down(conn: Connection, answer: PendingAnswer) -> None:
        await conn.execute("SELECT 1")
        raise RuntimeError("the job queue refused")

    messages = PostgresMessages(store.db, on_owed=queue_down)
    try:
        mention = said(0)
        plain = [said(i) for i in range(1, 6)]
        got = await asyncio.gather(messages.add(mention, owed(mention)),
                                   *(messages.add_screened(m, SCREEN, ask(m)) for m in plain),
                                   return_exceptions=True)
        assert messages.batched.batches == 1
        assert [type(g) for g in got] == [RuntimeError] * 6
        assert await store.messages.count(KEY) == 0 and await store.pending.owed() == []
        # the same messages again, the queue back: each stored once
        messages = PostgresMessages(store.db)
        intakes = await asyncio.gather(*(messages.add_screened(m, SCREEN, ask(m)) for m in plain))
        assert all(i.stored for i in intakes) and await store.messages.count(KEY) == 5
    finally:
        await store.close()


async def test_a_value_postgresql_refuses_fails_only_its_own_write(postgres_url: str) -> None:
    store = await PostgresStorage.open(postgres_url)
    try:
        refused = said(0, text="a NUL \x00 byte")
        fine = [said(i) for i in range(1, 6)]
        got: list[Intake | BaseException] = await asyncio.gather(
            *(store.messages.add_screened(m, SCREEN, ask(m)) for m in [refused, *fine]), return_exceptions=True)
        assert isinstance(got[0], psycopg.DataError)
        assert all(isinstance(g, Intake) and g.stored for g in got[1:])
        assert await store.messages.count(KEY) == 5 and await store.messages.get(KEY, refused.id) is None
    finally:
        await store.close()


async def test_a_cancelled_caller_leaves_the_others_stored(postgres_url: str) -> None:
    store = await PostgresStorage.open(postgres_url)
    try:
        adds = [asyncio.ensure_future(store.messages.add(said(i))) for i in range(6)]
        await asyncio.sleep(0)  # every add waiting on the batch
        adds[2].cancel()
        results = await asyncio.gather(*adds, return_exceptions=True)
        assert [r for i, r in enumerate(results) if i != 2] == [True] * 5
        with pytest.raises(asyncio.CancelledError):
            adds[2].result()
        assert await store.messages.count(KEY) in (5, 6)  # the cancelled one may have been written already
    finally:
        await store.close()


async def test_messages_stored_together_read_their_authors_records_as_alone(store: Storage, replica: Opener) -> None:
    """The one statement for a batch of plain messages reads each author's record as a message stored by a
    statement of its own (the reference: add, then read, on another replica)."""
    reference = await replica()
    now = datetime.now(UTC)
    t = now.timestamp()
    other_channel = "slack:T1:C2"
    await store.messages.add(StoredMessage(other_channel, "p1", "ann", "ann", "hi", now - timedelta(minutes=5)))
    await store.spam.correct(FoundMessage(KEY, "p2", "ann", "x", False), "ham", "mod", t - 50, exempt_until=t + 60)
    await store.channel_settings.set(KEY, "spam_policy", "delete")
    await store.messages.add(StoredMessage(KEY, "p3", "cy", "cy", "hi", now - timedelta(minutes=3)))
    await store.spam.record_flag(SpamFlag(KEY, "p3", "cy", "hi", 0.9, ("x",), "flagged"), replace=True)
    cases = [("ann", now, "b1"), ("cy", now, "b2"), ("eve", now, "b3"), ("fay", now - timedelta(minutes=10), "b4"),
             ("cy", now - timedelta(minutes=4), "b5"), ("gus", now - timedelta(minutes=10), "b6")]
    asks = {message_id: asking(author, t) for author, _, message_id in cases}
    messages = [StoredMessage(KEY, message_id, author, author, "hi", when) for author, when, message_id in cases]
    got = await asyncio.gather(*(store.messages.add_screened(m, SCREEN, asks[m.id]) for m in messages),
                               store.messages.add_screened(messages[0], SCREEN, asks["b1"]))  # b1 delivered twice
    assert got[-1] == Intake(False)
    for message, intake in zip(messages, got, strict=False):
        expected = await read_after(reference, replace(message, id=f"{message.id}r"), asks[message.id])
        assert intake == expected, message.id
    if isinstance(store, PostgresStorage):
        assert store.messages.batched.batches == 1 + 2  # the setup's two adds, then the seven together
