"""Messages in PostgreSQL (tables ``messages``, partitioned by month, and ``message_keys``): the
:class:`~agent.storage.ports.MessageStore` port. Schema and key choice: :mod:`.migrations`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any

from psycopg import sql

from agent.memory.models import StoredMessage
from agent.storage.ports import AuthorAsk, Intake, PendingAnswer
from agent.storage.postgres.db import Connection, Database
from agent.storage.postgres.group_commit import GroupCommit, Row, Together
from agent.storage.postgres.partitions import prune as prune_months
from agent.storage.postgres.spam import LATEST, record_columns, record_columns_of, record_of, record_params
from agent.storage.rows import platform_bounds

OnOwed = Callable[[Connection, PendingAnswer], Awaitable[None]]

_COLUMNS = "channel_key, id, thread, author_id, author_name, text, created_at, is_bot, edited_at, deleted"
# the message's partition, found through its key (one index probe) so a lookup by id touches one month
_ONE = ("channel_key = %(key)s AND id = %(id)s AND created_at = "
        "(SELECT k.created_at FROM message_keys k WHERE k.channel_key = %(key)s AND k.id = %(id)s)")
# the row of a message whose key ``k`` was just inserted (none for a redelivery), returning its key and ``{more}``
_STORED = """m AS (
    INSERT INTO messages (channel_key, id, thread, author_id, author_name, text, created_at, is_bot, edited_at,
                          deleted, unscreened)
    SELECT k.channel_key, k.id, %(thread)s::text, %(author_id)s::text, %(author_name)s::text, %(text)s::text,
           k.created_at, %(is_bot)s::boolean, %(edited_at)s::timestamptz, %(deleted)s::boolean, %(screen)s::text
    FROM k
    ON CONFLICT DO NOTHING RETURNING channel_key, id, created_at{more})"""
# the key is the dedupe: a redelivery inserts nothing, in the same statement that stores the message
ADD = """
WITH k AS (
    INSERT INTO message_keys (channel_key, id, created_at) VALUES (%(key)s, %(id)s, %(at)s)
    ON CONFLICT DO NOTHING RETURNING channel_key, id, created_at),
{stored},
p AS (
    INSERT INTO pending_answers (channel_key, message_id, message_at, payload, created_at, note)
    SELECT m.channel_key, m.id, m.created_at, %(payload)s::text, %(owed_at)s::float8, %(note)s::text FROM m
    WHERE %(payload)s::text IS NOT NULL)
SELECT count(*) FROM m
""".format(stored=_STORED.format(more=""))

# a message owed nothing stored with its screen, unless the channel's ``unless`` setting is on, and the author's
# record read in the same statement; the new row is not visible to that read, so it is a candidate of its own
ADD_SCREENED = """
WITH s AS (
    SELECT EXISTS (SELECT 1 FROM channel_settings WHERE channel_key = %(key)s AND key = %(unless)s::text
                   AND value = '"on"'::jsonb) AS held),
k AS (
    INSERT INTO message_keys (channel_key, id, created_at)
    SELECT %(key)s::text, %(id)s::text, %(at)s::timestamptz FROM s WHERE NOT s.held
    ON CONFLICT DO NOTHING RETURNING channel_key, id, created_at),
{stored}
SELECT {record}, (SELECT count(*) FROM m), s.held FROM s
""".format(stored=_STORED.format(more=", author_id, is_bot"), record=record_columns(
    f"({LATEST}) UNION ALL SELECT id, channel_key, created_at FROM m WHERE author_id = %(author)s "
    "AND created_at < to_timestamp(%(before)s) AND NOT is_bot"))

# ADD_SCREENED for several messages in one statement (group commit), a row for each in their order: a message
# delivered twice in the batch is stored for its first delivery only, and each message's record sees its own
# row, not its batch-mates' (as when each is stored by a statement of its own at the same time)
_MANY = ("key", "id", "at", "thread", "author_id", "author_name", "text", "is_bot", "edited_at", "deleted", "screen",
         "unless", "author", "now", "low", "high", "since", "before")
ADD_SCREENED_MANY = """
WITH u AS (
    SELECT * FROM unnest(%(key)s::text[], %(id)s::text[], %(at)s::timestamptz[], %(thread)s::text[],
                         %(author_id)s::text[], %(author_name)s::text[], %(text)s::text[], %(is_bot)s::boolean[],
                         %(edited_at)s::timestamptz[], %(deleted)s::boolean[], %(screen)s::text[], %(unless)s::text[],
                         %(author)s::text[], %(now)s::float8[], %(low)s::text[], %(high)s::text[],
                         %(since)s::float8[], %(before)s::float8[])
    WITH ORDINALITY AS u(key, id, at, thread, author_id, author_name, body, is_bot, edited_at, deleted, screen,
                         unless_on, author, now_s, low, high, since_s, before_s, n)),
i AS (
    SELECT u.key COLLATE "C" AS key, u.id COLLATE "C" AS id, u.at, u.thread, u.author_id, u.author_name, u.body,
           u.is_bot, u.edited_at, u.deleted, u.screen, u.author, u.now_s, u.low COLLATE "C" AS low,
           u.high COLLATE "C" AS high, u.since_s, u.before_s, u.n,
           row_number() OVER (PARTITION BY u.key, u.id ORDER BY u.n) = 1 AS first,
           EXISTS (SELECT 1 FROM channel_settings c WHERE c.channel_key = u.key COLLATE "C" AND c.key = u.unless_on
                   AND c.value = '"on"'::jsonb) AS held
    FROM u),
k AS (
    INSERT INTO message_keys (channel_key, id, created_at)
    SELECT i.key, i.id, i.at FROM i WHERE i.first AND NOT i.held ORDER BY i.key, i.id
    ON CONFLICT DO NOTHING RETURNING channel_key, id, created_at),
m AS (
    INSERT INTO messages (channel_key, id, thread, author_id, author_name, text, created_at, is_bot, edited_at,
                          deleted, unscreened)
    SELECT k.channel_key, k.id, i.thread, i.author_id, i.author_name, i.body, k.created_at, i.is_bot, i.edited_at,
           i.deleted, i.screen
    FROM k JOIN i ON i.key = k.channel_key AND i.id = k.id AND i.first
    ON CONFLICT DO NOTHING RETURNING channel_key, id, created_at, author_id, is_bot)
SELECT {record}, i.first AND EXISTS (SELECT 1 FROM m WHERE m.channel_key = i.key AND m.id = i.id), i.held
FROM i ORDER BY i.n
""".format(record=record_columns_of(
    f"({LATEST}) UNION ALL SELECT own.id, own.channel_key, own.created_at FROM m own WHERE own.channel_key = %(key)s "
    "AND own.id = i.id AND own.author_id = %(author)s AND own.created_at < to_timestamp(%(before)s) AND NOT own.is_bot",
    "i"))


def _columns(each: Sequence[Any]) -> dict[str, Any]:
    """The parameters of :data:`ADD_SCREENED_MANY`: each parameter of :data:`ADD_SCREENED` as an array."""
    return {name: [params[name] for params in each] for name in _MANY}


SCREENED_TOGETHER = Together(ADD_SCREENED_MANY, _columns)

# a screen left by a dead process, leased to one caller at a time (oldest first; a lease runs out if that one dies)
TAKE_UNSCREENED = """
WITH c AS (
    SELECT channel_key, id, created_at FROM messages
    WHERE unscreened IS NOT NULL AND NOT deleted AND created_at < %(before)s
      AND (screen_lease IS NULL OR screen_lease < now()) AND ({platforms})
    ORDER BY created_at LIMIT %(limit)s FOR UPDATE SKIP LOCKED)
UPDATE messages m SET screen_lease = now() + make_interval(secs => %(lease)s)
FROM c WHERE m.channel_key = c.channel_key AND m.id = c.id AND m.created_at = c.created_at
RETURNING m.channel_key, m.id, m.thread, m.author_id, m.author_name, m.text, m.created_at, m.is_bot, m.edited_at,
          m.deleted, m.unscreened
"""


def adding(message: StoredMessage, owed: PendingAnswer | None = None, screen: str | None = None) -> dict[str, Any]:
    """The parameters of :data:`ADD`, the statement storing a message (and the answer owed to it, and the spam
    screen still to run)."""
    m = message
    return {"key": m.channel_key, "id": m.id, "at": m.created_at, "thread": m.thread, "author_id": m.author_id,
            "author_name": m.author_name, "text": m.text, "is_bot": m.is_bot, "edited_at": m.edited_at,
            "deleted": m.deleted, "payload": owed.payload if owed else None,
            "owed_at": owed.created_at if owed else None, "note": owed.note if owed else None, "screen": screen}


def _row_to_message(row: Sequence[Any]) -> StoredMessage:
    return StoredMessage(channel_key=row[0], id=row[1], thread=row[2], author_id=row[3], author_name=row[4],
                         text=row[5], created_at=row[6], is_bot=bool(row[7]), edited_at=row[8],
                         deleted=bool(row[9]))


def _window(channel_key: str, thread: str | None, since: datetime | None = None,
            until: datetime | None = None) -> tuple[str, list[Any]]:
    where = "channel_key = %s"
    params: list[Any] = [channel_key]
    if thread is not None:
        where += " AND (thread = %s OR id = %s)"
        params += [thread, thread]
    if since is not None:
        where += " AND created_at >= %s"
        params.append(since)
    if until is not None:
        where += " AND created_at <= %s"
        params.append(until)
    return where, params


class PostgresMessages:
    def __init__(self, db: Database, on_owed: OnOwed | None = None) -> None:
        self.db = db
        self._on_owed = on_owed  # e.g. a job queue enqueuing the answer in the ingest's own transaction
        self.batched = GroupCommit(db)  # a burst's inserts stored several at a time

    async def add(self, message: StoredMessage, owed: PendingAnswer | None = None, screen: str | None = None) -> bool:
        on_owed = self._on_owed
        then = None
        if owed is not None and on_owed is not None:
            async def then(conn: Connection, row: Row) -> None:
                if row[0]:  # stored (not a redelivery): its answer's job in the same transaction
                    await on_owed(conn, owed)
        row = await self.batched.write((message.channel_key, message.id), ADD, adding(message, owed, screen), then)
        return bool(row[0])

    async def add_screened(self, message: StoredMessage, screen: str, ask: AuthorAsk,
                           unless_on: str | None = None) -> Intake:
        params = adding(message, screen=screen) | record_params(message.channel_key, ask) | {"unless": unless_on}
        row = await self.batched.write((message.channel_key, message.id), ADD_SCREENED, params,
                                       together=SCREENED_TOGETHER)
        stored, held = bool(row[5]), bool(row[6])
        return Intake(stored, held, record_of(row) if stored else None)

    async def screened(self, keys: Sequence[tuple[str, str, datetime]]) -> None:
        if keys:
            keys_, ids, times = zip(*keys, strict=True)
            await self.db.execute(
                "UPDATE messages SET unscreened = NULL, screen_lease = NULL WHERE (channel_key, id, created_at) IN "
                "(SELECT * FROM unnest(%s::text[], %s::text[], %s::timestamptz[]))",
                (list(keys_), list(ids), list(times)))

    async def unscreened(self, before: datetime, platforms: Sequence[str], limit: int = 100,
                         lease_s: float = 300.0) -> list[tuple[StoredMessage, str]]:
        if not platforms:
            return []
        ranges = sql.SQL(" OR ").join(
            sql.SQL("(channel_key >= {} AND channel_key < {})").format(*map(sql.Literal, platform_bounds(p)))
            for p in platforms)
        query = sql.SQL(TAKE_UNSCREENED).format(platforms=ranges)
        async with self.db.transaction() as conn:
            rows = await (await conn.execute(query, {"before": before, "limit": limit, "lease": lease_s})).fetchall()
        return sorted(((_row_to_message(r), str(r[10])) for r in rows), key=lambda found: found[0].created_at)

    async def edit(self, channel_key: str, message_id: str, text: str, edited_at: datetime) -> bool:
        return await self.db.execute(
            f"UPDATE messages SET text = %(text)s, edited_at = %(at)s WHERE {_ONE} AND NOT deleted",
            {"text": text, "at": edited_at, "key": channel_key, "id": message_id}) > 0

    async def delete(self, channel_key: str, message_id: str) -> bool:
        return await self.db.execute(
            "WITH owed AS (DELETE FROM pending_answers WHERE channel_key = %(key)s AND message_id = %(id)s) "
            f"UPDATE messages SET text = '', deleted = true, unscreened = NULL WHERE {_ONE}",
            {"key": channel_key, "id": message_id}) > 0

    async def get(self, channel_key: str, message_id: str) -> StoredMessage | None:
        rows = await self.db.fetch(f"SELECT {_COLUMNS} FROM messages WHERE {_ONE}",
                                   {"key": channel_key, "id": message_id})
        return _row_to_message(rows[0]) if rows else None

    async def recent(self, channel_key: str, limit: int = 20, thread: str | None = None,
                     include_deleted: bool = False) -> list[StoredMessage]:
        where, params = _window(channel_key, thread)
        if not include_deleted:
            where += " AND NOT deleted"
        return await self._newest(where, params, limit)

    async def context(self, channel_key: str, limit: int = 20, thread: str | None = None
                      ) -> tuple[list[StoredMessage], tuple[str, datetime] | None]:
        where, params = _window(channel_key, thread)
        async with self.db.pool.connection() as conn, conn.pipeline():  # both queries in one round trip
            said = await conn.execute(_newest_query(where + " AND NOT deleted"), (*params, limit))
            summary = await conn.execute("SELECT text, upto FROM summaries WHERE channel_key = %s AND thread = %s",
                                         (channel_key, thread or ""))
            rows = await said.fetchall()
            found = await summary.fetchone()
        return [_row_to_message(r) for r in reversed(rows)], (str(found[0]), found[1]) if found else None

    async def history(self, channel_key: str, since: datetime | None = None, until: datetime | None = None,
                      thread: str | None = None, limit: int = 20000) -> list[StoredMessage]:
        where, params = _window(channel_key, thread, since, until)
        return await self._newest(where + " AND NOT deleted", params, limit)

    async def _newest(self, where: str, params: list[Any], limit: int) -> list[StoredMessage]:
        rows = await self.db.fetch(_newest_query(where), (*params, limit))
        return [_row_to_message(r) for r in reversed(rows)]

    async def count(self, channel_key: str | None = None) -> int:
        if channel_key is None:
            rows = await self.db.fetch("SELECT count(*) FROM messages")
        else:
            rows = await self.db.fetch("SELECT count(*) FROM messages WHERE channel_key = %s", (channel_key,))
        return int(rows[0][0])

    async def count_said(self, channel_key: str, thread: str | None = None, since: datetime | None = None,
                         until: datetime | None = None) -> int:
        where, params = _window(channel_key, thread, since, until)
        rows = await self.db.fetch(
            f"SELECT count(*) FROM messages WHERE {where} AND NOT deleted AND NOT is_bot AND text != ''", params)
        return int(rows[0][0])

    async def deleted_ids(self, channel_key: str) -> set[str]:
        rows = await self.db.fetch("SELECT id FROM messages WHERE channel_key = %s AND deleted", (channel_key,))
        return {str(row[0]) for row in rows}

    async def forget(self, channel_key: str) -> int:
        async with self.db.transaction() as conn:
            # every table of the schema keyed by channel (features add their own), partitions through their parent
            tables = await (await conn.execute(
                "SELECT c.relname FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid "
                "WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p') "
                "AND NOT c.relispartition AND a.attname = 'channel_key' AND NOT a.attisdropped")).fetchall()
            removed = (await conn.execute("DELETE FROM messages WHERE channel_key = %s", (channel_key,))).rowcount
            for (table,) in tables:
                if table != "messages":
                    await conn.execute(sql.SQL("DELETE FROM {} WHERE channel_key = %s").format(sql.Identifier(table)),
                                       (channel_key,))
        return removed

    async def prune(self, older_than_days: int) -> int:
        if older_than_days <= 0:
            return 0
        return await prune_months(self.db, older_than_days)


def _newest_query(where: str) -> str:
    return f"SELECT {_COLUMNS} FROM messages WHERE {where} ORDER BY created_at DESC, seq DESC LIMIT %s"
