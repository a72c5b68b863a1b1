"""The PostgreSQL storage's own promises: migrations once under a lock, monthly partitions and retention by
partition, redeliveries absorbed across replicas, and the ``on_owed`` seam inside the ingest transaction."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from agent.memory.models import StoredMessage
from agent.storage.ports import PendingAnswer, PendingCommand
from agent.storage.postgres import Connection, PostgresStorage
from agent.storage.postgres.db import migrate
from agent.storage.postgres.migrations import MIGRATIONS
from agent.storage.postgres.partitions import (
    AHEAD_MONTHS,
    ensure_partitions,
    month_of,
    monthly_partitions,
    partition_name,
)

KEY = "slack:T1:C1"


def said(i: int, when: datetime | None = None) -> StoredMessage:
    return StoredMessage(KEY, f"m{i}", "u1", "ana", f"message {i}", when or datetime.now(UTC))


@pytest.fixture
async def store(postgres_url: str) -> AsyncIterator[PostgresStorage]:
    opened = await PostgresStorage.open(postgres_url)
    yield opened
    await opened.close()


async def where_stored(store: PostgresStorage, message_id: str) -> str:
    rows = await store.db.fetch("SELECT tableoid::regclass::text FROM messages WHERE id = %s", (message_id,))
    return str(rows[0][0])


async def test_replicas_starting_together_migrate_once(postgres_url: str) -> None:
    stores = await asyncio.gather(*(PostgresStorage.open(postgres_url) for _ in range(3)))
    try:
        rows = await stores[0].db.fetch("SELECT version, count(*) FROM schema_migrations GROUP BY version")
        assert sorted(rows) == [(version, 1) for version in sorted(MIGRATIONS)]
        assert await migrate(stores[1].db) == []  # nothing left to do
        assert await stores[2].messages.add(said(1))
    finally:
        for opened in stores:
            await opened.close()


async def test_messages_go_to_monthly_partitions_made_ahead(store: PostgresStorage) -> None:
    this_month = month_of(datetime.now(UTC))
    async with store.db.pool.connection() as conn:
        months = await monthly_partitions(conn)
    assert len(months) == AHEAD_MONTHS + 1 and min(months.values()) == this_month
    await store.messages.add(said(1))
    await store.messages.add(said(2, when=this_month - timedelta(days=400)))  # no month made for it
    assert await where_stored(store, "m1") == partition_name(this_month)
    assert await where_stored(store, "m2") == "messages_default"  # an insert never fails
    assert await ensure_partitions(store.db, datetime.now(UTC)) == []  # made once


async def test_retention_drops_expired_months_whole(store: PostgresStorage) -> None:
    now = datetime.now(UTC)
    old = month_of(now - timedelta(days=200))
    await ensure_partitions(store.db, old, 1)
    for i in range(3):
        await store.messages.add(said(i, when=old + timedelta(days=2, minutes=i)))
    await store.messages.add(said(9, when=now - timedelta(days=200 + 400)))  # in the default partition
    await store.messages.add(said(10))
    assert await where_stored(store, "m0") == partition_name(old)

    assert await store.messages.prune(90) == 4
    async with store.db.pool.connection() as conn:
        assert partition_name(old) not in await monthly_partitions(conn)
    assert [m.id for m in await store.messages.recent(KEY)] == ["m10"]
    assert await store.db.fetch("SELECT id FROM message_keys") == [("m10",)]  # the keys went with them
    assert await store.messages.add(said(0, when=old + timedelta(days=2)))  # so a late copy is stored again


async def test_a_month_holding_an_owed_question_is_kept_until_it_is_answered(store: PostgresStorage) -> None:
    old = month_of(datetime.now(UTC) - timedelta(days=200))
    await ensure_partitions(store.db, old, 1)
    await store.messages.add(said(1, when=old + timedelta(days=1)), PendingAnswer(KEY, "m1", "{}", time.time()))
    await store.messages.add(said(2, when=old + timedelta(days=1)))
    assert await store.messages.prune(90) == 1  # m2, row by row: the month stays for m1
    assert await where_stored(store, "m1") == partition_name(old)
    await store.pending.settle(KEY, "m1")
    assert await store.messages.prune(90) == 1
    async with store.db.pool.connection() as conn:
        assert partition_name(old) not in await monthly_partitions(conn)


async def test_a_busy_expired_month_is_dropped_at_the_next_pass(store: PostgresStorage, postgres_url: str) -> None:
    old = month_of(datetime.now(UTC) - timedelta(days=200))
    await ensure_partitions(store.db, old, 1)
    await store.messages.add(said(1, when=old + timedelta(days=1)))
    async with await psycopg.AsyncConnection.connect(postgres_url) as reader:
        await reader.execute(f"LOCK TABLE {partition_name(old)} IN ACCESS SHARE MODE")  # a long read, say
        assert await store.messages.prune(90) == 0  # waits briefly, then leaves it
        await reader.rollback()
    assert await store.db.fetch("SELECT id FROM message_keys") == [("m1",)]  # its key stays with it
    assert await store.messages.prune(90) == 1


async def test_two_replicas_store_each_redelivered_message_once(store: PostgresStorage, postgres_url: str) -> None:
    other = await PostgresStorage.open(postgres_url)
    try:
        messages = [said(i) for i in range(25)]
        stored = await asyncio.gather(*(s.messages.add(m) for m in messages for s in (store, other)))
        assert sum(stored) == 25
        firsts = await asyncio.gather(*(s.events.first_delivery(f"ev{i}") for i in range(25)
                                        for s in (other, store)))
        assert sum(firsts) == 25
        assert await store.messages.count(KEY) == 25
    finally:
        await other.close()


async def test_the_owed_answer_seam_runs_in_the_ingest_transaction(postgres_url: str) -> None:
    seen: list[PendingAnswer] = []

    async def enqueue(conn: Connection, owed: PendingAnswer) -> None:
        seen.append(owed)
        await conn.execute("INSERT INTO jobs (message_id) VALUES (%s)", (owed.message_id,))
        if owed.payload == "fail":
            raise RuntimeError("queue refused")

    store = await PostgresStorage.open(postgres_url, on_owed=enqueue)
    try:
        await store.db.execute("CREATE TABLE jobs (message_id text PRIMARY KEY)")
        assert await store.messages.add(said(1), PendingAnswer(KEY, "m1", "{}", time.time()))
        assert await store.messages.add(said(2))  # nothing owed: no job
        assert not await store.messages.add(said(1), PendingAnswer(KEY, "m1", "{}", time.time()))  # a repeat
        assert [owed.message_id for owed in seen] == ["m1"]
        assert await store.db.fetch("SELECT message_id FROM jobs") == [("m1",)]

        with pytest.raises(RuntimeError, match="queue refused"):
            await store.messages.add(said(3), PendingAnswer(KEY, "m3", "fail", time.time()))
        assert await store.messages.get(KEY, "m3") is None  # all or nothing: no message, key, answer or job
        assert [p.message_id for p in await store.pending.owed()] == ["m1"]
        assert await store.db.fetch("SELECT message_id FROM jobs ORDER BY 1") == [("m1",)]
        assert await store.messages.add(said(3), PendingAnswer(KEY, "m3", "{}", time.time()))  # redelivered: kept
    finally:
        await store.close()


async def test_the_owed_command_seam_runs_in_the_same_transaction(postgres_url: str) -> None:
    async def enqueue(conn: Connection, owed: PendingCommand) -> None:
        await conn.execute("INSERT INTO jobs (command_id) VALUES (%s)", (owed.command_id,))
        if owed.payload == "fail":
            raise RuntimeError("queue refused")

    store = await PostgresStorage.open(postgres_url, on_owed_command=enqueue)
    try:
        await store.db.execute("CREATE TABLE jobs (command_id text PRIMARY KEY)")
        assert await store.pending_commands.owe(PendingCommand(KEY, "c1", "{}", "https://x", time.time()))
        assert not await store.pending_commands.owe(PendingCommand(KEY, "c1", "{}", "https://x", time.time()))
        with pytest.raises(RuntimeError, match="queue refused"):
            await store.pending_commands.owe(PendingCommand(KEY, "c2", "fail", "https://x", time.time()))
        assert await store.pending_commands.get(KEY, "c2") is None  # all or nothing
        assert await store.db.fetch("SELECT command_id FROM jobs") == [("c1",)]
    finally:
        await store.close()


async def test_forget_reaches_feature_tables(store: PostgresStorage) -> None:
    """Any table keyed by channel (features add their own) is cleared with the channel, in one transaction."""
    await store.db.execute("CREATE TABLE feature_rows (channel_key text, note text)")
    await store.db.execute("INSERT INTO feature_rows VALUES (%s, 'x'), ('slack:T1:C2', 'y')", (KEY,))
    await store.messages.add(said(1))
    assert await store.messages.forget(KEY) == 1
    assert await store.db.fetch("SELECT channel_key FROM feature_rows") == [("slack:T1:C2",)]
    assert await store.db.fetch("SELECT count(*) FROM message_keys") == [(0,)]
    assert await store.messages.add(said(1))  # forgotten, so storable again


async def test_a_month_already_in_the_default_partition_is_left_there(store: PostgresStorage) -> None:
    old = month_of(datetime.now(UTC) - timedelta(days=200))
    await store.messages.add(said(1, when=old + timedelta(days=3)))  # before anyone made that month
    assert await ensure_partitions(store.db, old, 1) == []  # PostgreSQL would strand the row: not made
    assert await where_stored(store, "m1") == "messages_default"
    assert await store.messages.prune(90) == 1
    assert await ensure_partitions(store.db, old, 1) == [partition_name(old)]  # emptied, so it can be made
