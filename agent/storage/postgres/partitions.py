"""Message history by month: partitions made ahead, and retention that drops whole months.

``messages`` is partitioned by range of ``created_at``, one partition a month (``messages_p202611``), plus a
DEFAULT partition so an insert never fails (a backfilled old message, a month nobody created yet).
Partitions are created a few months ahead when the store opens and at every retention pass, under an
advisory lock so replicas do not race. Retention drops every month wholly older than the cutoff (no row-by-row
delete, no table-wide lock held for long: the partition is locked with a short ``lock_timeout`` and skipped
until the next pass when busy), and deletes the expired rows of the partly expired month and of the DEFAULT
partition in bounded batches. A question still owed an answer keeps its message, and its month.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import psycopg
from psycopg import sql

from agent.storage.postgres.db import Connection, Database

log = logging.getLogger(__name__)

AHEAD_MONTHS = 3
BATCH = 5000
DEFAULT = "messages_default"


def month_of(at: datetime) -> datetime:
    return at.astimezone(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def next_month(month: datetime) -> datetime:
    return month.replace(year=month.year + 1, month=1) if month.month == 12 else month.replace(month=month.month + 1)


def partition_name(month: datetime) -> str:
    return f"messages_p{month:%Y%m}"


async def monthly_partitions(conn: Connection) -> dict[str, datetime]:
    """The monthly partitions of ``messages`` by name, with the month each holds."""
    rows = await (await conn.execute(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "WHERE i.inhparent = 'messages'::regclass")).fetchall()
    names = [str(row[0]) for row in rows if str(row[0]) != DEFAULT]
    return {name: datetime.strptime(name[len("messages_p"):], "%Y%m").replace(tzinfo=UTC) for name in names}


async def ensure_partitions(db: Database, first: datetime, months: int = AHEAD_MONTHS + 1) -> list[str]:
    """Create the partitions of ``months`` months from the month of ``first`` that are missing; their names.

    A month whose rows already sit in the DEFAULT partition is left there (PostgreSQL refuses a partition
    that would strand them); retention still deletes them in batches."""
    created = []
    async with db.locked("partitions") as conn:
        assert conn is not None
        existing = await monthly_partitions(conn)
        month = month_of(first)
        for _ in range(months):
            name = partition_name(month)
            if name not in existing:
                try:
                    create = sql.SQL("CREATE TABLE {} PARTITION OF messages FOR VALUES FROM ({}) TO ({})")
                    await conn.execute(create.format(sql.Identifier(name), sql.Literal(month),
                                                     sql.Literal(next_month(month))))
                    created.append(name)
                except psycopg.errors.CheckViolation:
                    log.warning("messages of that month are in the default partition; not partitioning it",
                                extra={"partition": name})
            month = next_month(month)
    return created


async def prune(db: Database, older_than_days: int, now: datetime | None = None) -> int:
    """Retention pass (one replica at a time; the others skip it): the messages removed."""
    now = now or datetime.now(UTC)
    cutoff = now - timedelta(days=older_than_days)
    await ensure_partitions(db, now)
    removed = 0
    async with db.locked("retention", wait=False) as conn:
        if conn is None:
            return 0
        complete = True
        for name, month in sorted((await monthly_partitions(conn)).items()):
            if next_month(month) <= cutoff:
                dropped = await _drop(conn, name, month)
                if dropped is None:
                    complete = False
                    continue
                removed += dropped
            elif month < cutoff:
                removed += await _trim(conn, name, cutoff)
        removed += await _trim(conn, DEFAULT, cutoff)
        if complete:  # a key outlives its message only while that message's month could not be dropped yet
            await _batched(conn, sql.SQL(
                "DELETE FROM message_keys WHERE ctid = ANY(ARRAY(SELECT k.ctid FROM message_keys k "
                "WHERE k.created_at < {cutoff} AND NOT EXISTS (SELECT 1 FROM pending_answers a "
                "WHERE a.channel_key = k.channel_key AND a.message_id = k.id) LIMIT {batch}))"
            ).format(cutoff=sql.Literal(cutoff), batch=sql.Literal(BATCH)))
        for table, column in (("processed_events", "seen_at"), ("replies", "claimed_at")):
            await _batched(conn, sql.SQL(
                "DELETE FROM {table} WHERE ctid = ANY(ARRAY(SELECT ctid FROM {table} "
                "WHERE {column} < {cutoff} LIMIT {batch}))").format(
                    table=sql.Identifier(table), column=sql.Identifier(column),
                    cutoff=sql.Literal(cutoff.timestamp()), batch=sql.Literal(BATCH)))
        # every answered mention follows its thread; one nobody came back to in that long is let go
        await _batched(conn, sql.SQL(
            "DELETE FROM followed_threads WHERE ctid = ANY(ARRAY(SELECT ctid FROM followed_threads "
            "WHERE last_activity < {cutoff} LIMIT {batch}))").format(cutoff=sql.Literal(cutoff),
                                                                     batch=sql.Literal(BATCH)))
        # answers people rated go with the rest of what was said then, their votes with them
        async with conn.transaction():
            await conn.execute(
                "DELETE FROM feedback_votes v USING feedback_answers a WHERE a.channel_key = v.channel_key "
                "AND a.message_id = v.message_id AND a.created_at < %s", (cutoff.timestamp(),))
            await conn.execute("DELETE FROM feedback_answers WHERE created_at < %s", (cutoff.timestamp(),))
    if removed:
        log.info("pruned old messages", extra={"removed": removed, "days": older_than_days})
    return removed


async def _drop(conn: Connection, name: str, month: datetime) -> int | None:
    """Drop a wholly expired month (its row count), trim it instead while it holds an owed question, or None
    when it is busy (retried at the next pass)."""
    table = sql.Identifier(name)
    try:
        async with conn.transaction():
            await conn.execute("SET LOCAL lock_timeout = '2s'")
            # locked first: no message (nor owed answer) can arrive in it between the checks and the drop
            await conn.execute(sql.SQL("LOCK TABLE {} IN ACCESS EXCLUSIVE MODE").format(table))
            owed = await (await conn.execute(
                "SELECT EXISTS (SELECT 1 FROM pending_answers WHERE message_at >= %s AND message_at < %s)",
                (month, next_month(month)))).fetchone()
            if owed is not None and owed[0]:
                raise _Owed
            row = await (await conn.execute(sql.SQL("SELECT count(*) FROM {}").format(table))).fetchone()
            await conn.execute(sql.SQL("DROP TABLE {}").format(table))
            return int(row[0]) if row else 0
    except _Owed:
        return await _trim(conn, name, next_month(month))
    except psycopg.errors.LockNotAvailable:
        log.info("partition busy; dropping it at the next retention pass", extra={"partition": name})
        return None


class _Owed(Exception):
    """A month to drop still holds a question owed an answer (rolls the drop back)."""


async def _trim(conn: Connection, table: str, cutoff: datetime) -> int:
    """Delete a partition's messages older than ``cutoff`` (not owed an answer) in bounded batches."""
    return await _batched(conn, sql.SQL(
        "WITH gone AS (DELETE FROM {table} WHERE ctid = ANY(ARRAY(SELECT m.ctid FROM {table} m "
        "WHERE m.created_at < {cutoff} AND NOT EXISTS (SELECT 1 FROM pending_answers a "
        "WHERE a.channel_key = m.channel_key AND a.message_id = m.id) LIMIT {batch})) RETURNING 1) "
        "SELECT count(*) FROM gone").format(table=sql.Identifier(table), cutoff=sql.Literal(cutoff),
                                            batch=sql.Literal(BATCH)), counted=True)


async def _batched(conn: Connection, query: sql.Composed, counted: bool = False) -> int:
    """Repeat a bounded delete (each batch its own short transaction) until a batch falls short."""
    total = 0
    while True:
        cursor = await conn.execute(query)
        if counted:
            row = await cursor.fetchone()
            done = int(row[0]) if row else 0
        else:
            done = cursor.rowcount
        total += done
        if done < BATCH:
            return total
