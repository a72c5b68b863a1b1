"""Per-channel memory in one SQLite file, through aiosqlite.

One writer task owns the write connection: every write is queued, and the writer commits whatever
has queued up in a single ``BEGIN IMMEDIATE`` transaction (group commit), so 200 channels writing at
once cost one fsync per batch, not per message. Reads use a second connection (WAL lets them run
beside the writer). Callers awaiting a write return only after its transaction committed.

Feature modules keep their own tables (added by migrations) and use :meth:`write` / :meth:`fetch`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiosqlite

from agent.errors import StorageError
from agent.memory.migrations import MIGRATIONS
from agent.memory.models import StoredMessage

log = logging.getLogger(__name__)

Params = Sequence[Any]
_BATCH_MAX = 2000


def _ts(value: datetime | None) -> float | None:
    return value.timestamp() if value is not None else None


def _dt(value: float | None) -> datetime | None:
    return datetime.fromtimestamp(value, UTC) if value is not None else None


@dataclass
class _Write:
    sql: str
    params: list[Params]
    # further statements committed in the same transaction (all or nothing)
    more: list[tuple[str, Params]] = field(default_factory=list)
    done: asyncio.Future[int] = field(default_factory=lambda: asyncio.get_running_loop().create_future())


_MESSAGE_COLUMNS = "channel_key, id, thread, author_id, author_name, text, created_at, is_bot, edited_at, deleted"


def _row_to_message(row: Sequence[Any]) -> StoredMessage:
    return StoredMessage(
        channel_key=row[0], id=row[1], thread=row[2], author_id=row[3], author_name=row[4], text=row[5],
        created_at=_dt(row[6]) or datetime.now(UTC), is_bot=bool(row[7]), edited_at=_dt(row[8]),
        deleted=bool(row[9]),
    )


class MemoryStore:
    """Open with ``await MemoryStore.open(path)``; close with ``await store.close()``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._writer_db: aiosqlite.Connection | None = None
        self._reader_db: aiosqlite.Connection | None = None
        self._queue: asyncio.Queue[_Write | None] = asyncio.Queue()
        self._writer_task: asyncio.Task[None] | None = None
        self._checkpoint_db: aiosqlite.Connection | None = None
        self._checkpoint_task: asyncio.Task[None] | None = None
        self._commits = 0
        # write-through cache of rolling summaries: read on every agent turn, written rarely
        self._summaries: dict[tuple[str, str], tuple[str, datetime] | None] = {}

    # --- lifecycle ---------------------------------------------------------------------

    @classmethod
    async def open(cls, path: Path | str) -> MemoryStore:
        store = cls(Path(path))
        await store._connect()
        return store

    async def _connect(self) -> None:
        try:
            if str(self.path) != ":memory:":
                self.path.parent.mkdir(parents=True, exist_ok=True)
            self._writer_db = await aiosqlite.connect(self.path, isolation_level=None)
            # wal_autocheckpoint=0: the commit that crosses the WAL threshold would otherwise pay for the
            # whole checkpoint (a periodic ~5 ms stall); a separate connection checkpoints instead
            for pragma in ("journal_mode=WAL", "busy_timeout=5000", "synchronous=NORMAL", "foreign_keys=ON",
                           "wal_autocheckpoint=0"):
                await self._writer_db.execute(f"PRAGMA {pragma}")
            await self._migrate(self._writer_db)
            self._reader_db = await aiosqlite.connect(self.path, isolation_level=None)
            await self._reader_db.execute("PRAGMA busy_timeout=5000")
            self._checkpoint_db = await aiosqlite.connect(self.path, isolation_level=None)
            await self._checkpoint_db.execute("PRAGMA busy_timeout=5000")
        except Exception as exc:  # sqlite3.Error, OSError
            await self.close()
            raise StorageError(f"cannot open memory database {self.path}: {exc}") from exc
        self._writer_task = asyncio.create_task(self._writer_loop(), name="confab-memory-writer")
        self._checkpoint_task = asyncio.create_task(self._checkpoint_loop(), name="confab-memory-checkpoint")

    async def _migrate(self, db: aiosqlite.Connection) -> None:
        await db.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at REAL NOT NULL)"
        )
        async with db.execute("SELECT version FROM schema_migrations") as cursor:
            applied = {row[0] for row in await cursor.fetchall()}
        for version in sorted(MIGRATIONS):
            if version in applied:
                continue
            await db.execute("BEGIN IMMEDIATE")
            try:
                for statement in _split_sql(MIGRATIONS[version]):
                    await db.execute(statement)
                await db.execute(
                    "INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)", (version, time.time())
                )
                await db.execute("COMMIT")
            except Exception:
                await db.execute("ROLLBACK")
                raise
            log.info("applied migration", extra={"version": version})

    async def close(self) -> None:
        if self._checkpoint_task is not None:
            self._checkpoint_task.cancel()
            await asyncio.gather(self._checkpoint_task, return_exceptions=True)
            self._checkpoint_task = None
        if self._writer_task is not None:
            await self._queue.put(None)
            await asyncio.gather(self._writer_task, return_exceptions=True)  # cancelled or not: close below
            self._writer_task = None
            if self._writer_db is not None:
                await self._writer_db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        for db in (self._checkpoint_db, self._reader_db, self._writer_db):
            if db is not None:
                await db.close()
        self._checkpoint_db = self._reader_db = self._writer_db = None

    async def _checkpoint_loop(self, every_s: float = 1.0) -> None:
        """Copy the WAL back into the database off the write path (PASSIVE: never blocks the writer)."""
        assert self._checkpoint_db is not None
        seen = 0
        while True:
            await asyncio.sleep(every_s)
            if self._commits == seen:
                continue
            seen = self._commits
            try:
                await self._checkpoint_db.execute("PRAGMA wal_checkpoint(PASSIVE)")
            except Exception:
                log.exception("WAL checkpoint failed; will retry")

    # --- the single writer -------------------------------------------------------------

    async def _writer_loop(self) -> None:
        assert self._writer_db is not None
        db = self._writer_db
        stopping = False
        while not stopping:
            first = await self._queue.get()
            if first is None:
                break
            batch = [first]
            while len(batch) < _BATCH_MAX and not self._queue.empty():
                item = self._queue.get_nowait()
                if item is None:
                    stopping = True
                    break
                batch.append(item)
            self._commits += 1
            try:
                await self._commit_batch(db, batch)
            except Exception:
                # isolate the failing write so the others still land
                for item in batch:
                    try:
                        await self._commit_batch(db, [item])
                    except Exception as exc:
                        if not item.done.done():
                            item.done.set_exception(StorageError(f"write failed: {exc}"))

    async def _commit_batch(self, db: aiosqlite.Connection, batch: list[_Write]) -> None:
        if len(batch) == 1 and len(batch[0].params) == 1 and not batch[0].more:
            # one statement is atomic on its own (SQLite's implicit transaction): one thread hop, not three
            item = batch[0]
            cursor = await db.execute(item.sql, item.params[0])
            if not item.done.done():
                item.done.set_result(cursor.rowcount)
            return
        counts: list[int] = []
        await db.execute("BEGIN IMMEDIATE")
        try:
            for item in batch:
                if len(item.params) == 1:
                    cursor = await db.execute(item.sql, item.params[0])
                else:
                    cursor = await db.executemany(item.sql, item.params)
                counts.append(cursor.rowcount)
                for sql, params in item.more:
                    await db.execute(sql, params)
            await db.execute("COMMIT")
        except Exception:
            await db.execute("ROLLBACK")
            raise
        for item, count in zip(batch, counts, strict=True):
            if not item.done.done():
                item.done.set_result(count)

    async def write(self, sql: str, params: Params = ()) -> int:
        """Queue one statement for the writer; returns the affected row count once committed."""
        return await self.write_many(sql, [params])

    async def write_many(self, sql: str, rows: Iterable[Params]) -> int:
        if self._writer_task is None:
            raise StorageError("memory store is closed")
        item = _Write(sql, list(rows))
        if not item.params:
            return 0
        await self._queue.put(item)
        return await item.done

    async def write_together(self, statements: Sequence[tuple[str, Params]]) -> int:
        """Commit several statements in one transaction; returns the first one's row count."""
        if not statements:
            return 0
        if self._writer_task is None:
            raise StorageError("memory store is closed")
        (sql, params), *rest = statements
        item = _Write(sql, [params], more=list(rest))
        await self._queue.put(item)
        return await item.done

    async def fetch(self, sql: str, params: Params = ()) -> list[tuple[Any, ...]]:
        if self._reader_db is None:
            raise StorageError("memory store is closed")
        return [tuple(row) for row in await self._reader_db.execute_fetchall(sql, params)]

    # --- messages ----------------------------------------------------------------------

    async def add_message(self, m: StoredMessage) -> bool:
        """Store a message; returns False when that (channel, id) was already stored."""
        count = await self.write(
            f"INSERT OR IGNORE INTO messages ({_MESSAGE_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?)",
            (m.channel_key, m.id, m.thread, m.author_id, m.author_name, m.text, _ts(m.created_at),
             int(m.is_bot), _ts(m.edited_at), int(m.deleted)),
        )
        return count > 0

    async def edit_message(self, channel_key: str, message_id: str, text: str, edited_at: datetime) -> bool:
        count = await self.write(
            "UPDATE messages SET text = ?, edited_at = ? WHERE channel_key = ? AND id = ? AND deleted = 0",
            (text, _ts(edited_at), channel_key, message_id),
        )
        return count > 0

    async def delete_message(self, channel_key: str, message_id: str) -> bool:
        """Deleted messages keep their place (so threads stay whole) but lose their text."""
        count = await self.write(
            "UPDATE messages SET text = '', deleted = 1 WHERE channel_key = ? AND id = ?",
            (channel_key, message_id),
        )
        return count > 0

    async def get_message(self, channel_key: str, message_id: str) -> StoredMessage | None:
        rows = await self.fetch(
            f"SELECT {_MESSAGE_COLUMNS} FROM messages WHERE channel_key = ? AND id = ?", (channel_key, message_id)
        )
        return _row_to_message(rows[0]) if rows else None

    async def recent(
        self, channel_key: str, limit: int = 20, thread: str | None = None, include_deleted: bool = False
    ) -> list[StoredMessage]:
        """The last ``limit`` messages of a channel (or one thread, root included), oldest first."""
        where = "channel_key = ?"
        params: list[Any] = [channel_key]
        if thread is not None:
            where += " AND (thread = ? OR id = ?)"
            params += [thread, thread]
        if not include_deleted:
            where += " AND deleted = 0"
        rows = await self.fetch(
            f"SELECT {_MESSAGE_COLUMNS} FROM messages WHERE {where} ORDER BY created_at DESC, rowid DESC LIMIT ?",
            (*params, limit),
        )
        return [_row_to_message(r) for r in reversed(rows)]

    async def history(
        self,
        channel_key: str,
        since: datetime | None = None,
        until: datetime | None = None,
        thread: str | None = None,
        limit: int = 20000,
    ) -> list[StoredMessage]:
        """Messages in a time window (oldest first), deleted ones left out; the newest ``limit`` win."""
        where = "channel_key = ? AND deleted = 0"
        params: list[Any] = [channel_key]
        if thread is not None:
            where += " AND (thread = ? OR id = ?)"
            params += [thread, thread]
        if since is not None:
            where += " AND created_at >= ?"
            params.append(_ts(since))
        if until is not None:
            where += " AND created_at <= ?"
            params.append(_ts(until))
        rows = await self.fetch(
            f"SELECT {_MESSAGE_COLUMNS} FROM messages WHERE {where} ORDER BY created_at DESC, rowid DESC LIMIT ?",
            (*params, limit),
        )
        return [_row_to_message(r) for r in reversed(rows)]

    async def count_messages(self, channel_key: str | None = None) -> int:
        if channel_key is None:
            rows = await self.fetch("SELECT COUNT(*) FROM messages")
        else:
            rows = await self.fetch("SELECT COUNT(*) FROM messages WHERE channel_key = ?", (channel_key,))
        return int(rows[0][0])

    async def forget_channel(self, channel_key: str) -> int:
        """Erase everything remembered about a channel, in every table keyed by channel (features'
        tables too), in one transaction; returns the number of messages removed."""
        tables = [t for t in await self._tables_with_column("channel_key") if t != "messages"]
        removed = await self.write_together(
            [("DELETE FROM messages WHERE channel_key = ?", (channel_key,))]
            + [(f'DELETE FROM "{table}" WHERE channel_key = ?', (channel_key,)) for table in tables]
        )
        self._summaries = {k: v for k, v in self._summaries.items() if k[0] != channel_key}
        return removed

    async def _tables_with_column(self, column: str) -> list[str]:
        names = [row[0] for row in await self.fetch(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
        found = []
        for name in names:
            columns = await self.fetch("SELECT name FROM pragma_table_info(?)", (name,))
            if any(c[0] == column for c in columns):
                found.append(name)
        return found

    async def prune(self, older_than_days: int) -> int:
        """Retention: drop messages older than the given number of days (0 keeps everything)."""
        if older_than_days <= 0:
            return 0
        cutoff = time.time() - older_than_days * 86400
        removed = await self.write("DELETE FROM messages WHERE created_at < ?", (cutoff,))
        await self.write("DELETE FROM processed_events WHERE seen_at < ?", (cutoff,))
        if removed:
            log.info("pruned old messages", extra={"removed": removed, "days": older_than_days})
        return removed

    # --- followed threads ----------------------------------------------------------------

    async def follow_thread(self, channel_key: str, thread: str, kind: str = "mention",
                            data: dict[str, Any] | None = None) -> None:
        now = time.time()
        await self.write(
            "INSERT INTO followed_threads (channel_key, thread, kind, started_at, last_activity, data) "
            "VALUES (?,?,?,?,?,?) ON CONFLICT (channel_key, thread) DO UPDATE SET "
            "kind = excluded.kind, last_activity = excluded.last_activity, data = excluded.data",
            (channel_key, thread, kind, now, now, json.dumps(data or {})),
        )

    async def followed(self, channel_key: str, thread: str) -> tuple[str, dict[str, Any], datetime] | None:
        """(kind, data, last activity) of a followed thread, or None."""
        rows = await self.fetch(
            "SELECT kind, data, last_activity FROM followed_threads WHERE channel_key = ? AND thread = ?",
            (channel_key, thread),
        )
        if not rows:
            return None
        kind, data, last = rows[0]
        return str(kind), json.loads(data), _dt(last) or datetime.now(UTC)

    async def touch_thread(self, channel_key: str, thread: str, data: dict[str, Any] | None = None) -> None:
        if data is None:
            await self.write(
                "UPDATE followed_threads SET last_activity = ? WHERE channel_key = ? AND thread = ?",
                (time.time(), channel_key, thread),
            )
        else:
            await self.write(
                "UPDATE followed_threads SET last_activity = ?, data = ? WHERE channel_key = ? AND thread = ?",
                (time.time(), json.dumps(data), channel_key, thread),
            )

    async def unfollow_thread(self, channel_key: str, thread: str) -> bool:
        return await self.write(
            "DELETE FROM followed_threads WHERE channel_key = ? AND thread = ?", (channel_key, thread)
        ) > 0

    # --- channel settings and rolling summaries ------------------------------------------

    async def get_setting(self, channel_key: str, key: str, default: Any = None) -> Any:
        rows = await self.fetch(
            "SELECT value FROM channel_settings WHERE channel_key = ? AND key = ?", (channel_key, key)
        )
        return json.loads(rows[0][0]) if rows else default

    async def set_setting(self, channel_key: str, key: str, value: Any) -> None:
        await self.write(
            "INSERT INTO channel_settings (channel_key, key, value) VALUES (?,?,?) "
            "ON CONFLICT (channel_key, key) DO UPDATE SET value = excluded.value",
            (channel_key, key, json.dumps(value)),
        )

    async def get_summary(self, channel_key: str, thread: str | None = None) -> tuple[str, datetime] | None:
        key = (channel_key, thread or "")
        if key not in self._summaries:
            rows = await self.fetch("SELECT text, upto FROM summaries WHERE channel_key = ? AND thread = ?", key)
            self._summaries[key] = (str(rows[0][0]), _dt(rows[0][1]) or datetime.now(UTC)) if rows else None
        return self._summaries[key]

    async def set_summary(self, channel_key: str, text: str, upto: datetime, thread: str | None = None) -> None:
        await self.write(
            "INSERT INTO summaries (channel_key, thread, text, upto, updated_at) VALUES (?,?,?,?,?) "
            "ON CONFLICT (channel_key, thread) DO UPDATE SET text = excluded.text, upto = excluded.upto, "
            "updated_at = excluded.updated_at",
            (channel_key, thread or "", text, _ts(upto), time.time()),
        )
        self._summaries[(channel_key, thread or "")] = (text, upto)

    # --- delivery dedupe (survives restarts) ---------------------------------------------

    async def first_delivery(self, event_id: str) -> bool:
        """True the first time an event id is seen, False for every repeat (Slack retries, replays)."""
        count = await self.write(
            "INSERT OR IGNORE INTO processed_events (event_id, seen_at) VALUES (?, ?)", (event_id, time.time())
        )
        return count > 0


def _split_sql(script: str) -> list[str]:
    return [s.strip() for s in script.split(";") if s.strip()]
