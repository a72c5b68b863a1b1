"""The SQLite database file: connections, the single writer thread and the migrations.

One writer thread owns the write connection: every write is queued, and the writer commits whatever
has queued up in a single ``BEGIN IMMEDIATE`` transaction (group commit), so 200 channels writing at
once cost one fsync per batch, not per message, and one hand-off between the event loop and the thread
per batch, however many statements it holds. Reads use other connections (WAL lets them run beside the
writer): a reader thread's (aiosqlite), and for the small reads every message makes (a few rows, bounded
by their query) one on the event loop itself, which spares each of them a hand-off to a thread and back.
Callers awaiting a write return only after its transaction committed.

Only the repositories of this package use :meth:`Database.write` / :meth:`Database.fetch`.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import sqlite3
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiosqlite

from agent.errors import StorageError
from agent.storage.sqlite.migrations import MIGRATIONS

log = logging.getLogger(__name__)

Params = Sequence[Any]
_BATCH_MAX = 2000


@dataclass
class _Write:
    sql: str
    params: list[Params]
    # further statements committed in the same transaction (all or nothing)
    more: list[tuple[str, Params]] = field(default_factory=list)
    returning: bool = False  # keep the rows a RETURNING clause gives back (one statement, one row of params)
    rows: list[tuple[Any, ...]] = field(default_factory=list)
    done: asyncio.Future[int] = field(default_factory=lambda: asyncio.get_running_loop().create_future())


class Database:
    """Open with ``await Database.open(path)``; close with ``await db.close()``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._writer_db: sqlite3.Connection | None = None  # used by the writer thread only, once it runs
        self._reader_db: aiosqlite.Connection | None = None
        self._inline_db: sqlite3.Connection | None = None  # the event loop's own, for small reads
        self._queue: queue.SimpleQueue[_Write | None] = queue.SimpleQueue()
        self._writer: threading.Thread | None = None
        self._writer_done: asyncio.Future[None] | None = None
        self._checkpoint_db: aiosqlite.Connection | None = None
        self._checkpoint_task: asyncio.Task[None] | None = None
        self._commits = 0

    # --- lifecycle ---------------------------------------------------------------------

    @classmethod
    async def open(cls, path: Path | str) -> Database:
        db = cls(Path(path))
        await db._connect()
        return db

    async def _connect(self) -> None:
        try:
            if str(self.path) != ":memory:":
                self.path.parent.mkdir(parents=True, exist_ok=True)
            self._writer_db = await asyncio.to_thread(self._open_writer)
            self._reader_db = await aiosqlite.connect(self.path, isolation_level=None)
            await self._reader_db.execute("PRAGMA busy_timeout=5000")
            self._inline_db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            self._inline_db.execute("PRAGMA busy_timeout=0")  # never waits on the loop: see fetch_small
            self._checkpoint_db = await aiosqlite.connect(self.path, isolation_level=None)
            await self._checkpoint_db.execute("PRAGMA busy_timeout=5000")
        except Exception as exc:  # sqlite3.Error, OSError
            await self.close()
            raise StorageError(f"cannot open memory database {self.path}: {exc}") from exc
        loop = asyncio.get_running_loop()
        self._writer_done = loop.create_future()
        self._writer = threading.Thread(target=self._writer_loop, args=(self._writer_db, loop, self._writer_done),
                                        name="confab-memory-writer", daemon=True)
        self._writer.start()
        self._checkpoint_task = asyncio.create_task(self._checkpoint_loop(), name="confab-memory-checkpoint")

    def _open_writer(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        try:
            # wal_autocheckpoint=0: the commit that crosses the WAL threshold would otherwise pay for the
            # whole checkpoint (a periodic ~5 ms stall); a separate connection checkpoints instead
            for pragma in ("journal_mode=WAL", "busy_timeout=5000", "synchronous=NORMAL", "foreign_keys=ON",
                           "wal_autocheckpoint=0"):
                db.execute(f"PRAGMA {pragma}")
            _migrate(db)
        except Exception:
            db.close()
            raise
        return db

    async def close(self) -> None:
        if self._checkpoint_task is not None:
            self._checkpoint_task.cancel()
            await asyncio.gather(self._checkpoint_task, return_exceptions=True)
            self._checkpoint_task = None
        if self._writer is not None and self._writer_done is not None:
            self._queue.put(None)  # after every write queued before it
            await asyncio.gather(self._writer_done, return_exceptions=True)  # cancelled or not: close below
            self._writer = None
        for reader in (self._checkpoint_db, self._reader_db):
            if reader is not None:
                await reader.close()
        self._checkpoint_db = self._reader_db = None
        if self._inline_db is not None:
            self._inline_db.close()
            self._inline_db = None
        if self._writer_db is not None:
            writer, self._writer_db = self._writer_db, None
            await asyncio.to_thread(_close_writer, writer)

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

    def _writer_loop(self, db: sqlite3.Connection, loop: asyncio.AbstractEventLoop,
                     done: asyncio.Future[None]) -> None:
        """The writer thread: take what has queued up, commit it as one batch, hand the outcomes back to the
        event loop in one call."""
        try:
            stopping = False
            while not stopping:
                first = self._queue.get()
                if first is None:
                    break
                batch = [first]
                while len(batch) < _BATCH_MAX:
                    try:
                        item = self._queue.get_nowait()
                    except queue.Empty:
                        break
                    if item is None:
                        stopping = True
                        break
                    batch.append(item)
                self._commits += 1
                outcomes: list[int | BaseException]
                try:
                    outcomes = list(_commit_batch(db, batch))
                except Exception:
                    # isolate the failing write so the others still land
                    outcomes = []
                    for item in batch:
                        try:
                            outcomes.append(_commit_batch(db, [item])[0])
                        except Exception as exc:
                            outcomes.append(StorageError(f"write failed: {exc}"))
                loop.call_soon_threadsafe(_settle, batch, outcomes)
        finally:
            if not loop.is_closed():
                loop.call_soon_threadsafe(_finish, done)

    async def write(self, sql: str, params: Params = ()) -> int:
        """Queue one statement for the writer; returns the affected row count once committed."""
        return await self.write_many(sql, [params])

    async def write_many(self, sql: str, rows: Iterable[Params]) -> int:
        if self._writer is None:
            raise StorageError("memory store is closed")
        item = _Write(sql, list(rows))
        if not item.params:
            return 0
        self._queue.put(item)
        return await item.done

    async def write_returning(self, sql: str, params: Params = ()) -> list[tuple[Any, ...]]:
        """Queue one statement with a RETURNING clause; its rows once committed."""
        if self._writer is None:
            raise StorageError("memory store is closed")
        item = _Write(sql, [params], returning=True)
        self._queue.put(item)
        await item.done
        return item.rows

    async def write_together(self, statements: Sequence[tuple[str, Params]]) -> int:
        """Commit several statements in one transaction; returns the first one's row count."""
        if not statements:
            return 0
        if self._writer is None:
            raise StorageError("memory store is closed")
        (sql, params), *rest = statements
        item = _Write(sql, [params], more=list(rest))
        self._queue.put(item)
        return await item.done

    async def fetch(self, sql: str, params: Params = ()) -> list[tuple[Any, ...]]:
        if self._reader_db is None:
            raise StorageError("memory store is closed")
        return [tuple(row) for row in await self._reader_db.execute_fetchall(sql, params)]

    async def fetch_small(self, sql: str, params: Params = ()) -> list[tuple[Any, ...]]:
        """:meth:`fetch` for a read of a few rows (bounded by its query: a point lookup, a ``LIMIT``), run on
        the event loop's own connection: a WAL read never waits for the writer, and the ~50 µs it takes cost
        less than a hand-off to the reader thread and back (a wake-up of each: on a busy machine each can
        wait for a CPU)."""
        if self._inline_db is None:
            raise StorageError("memory store is closed")
        try:
            return [tuple(row) for row in self._inline_db.execute(sql, params).fetchall()]
        except sqlite3.OperationalError as exc:  # busy (a rare WAL moment): wait on the reader thread, not the loop
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise
            return await self.fetch(sql, params)

    async def tables_with_column(self, column: str) -> list[str]:
        names = [row[0] for row in await self.fetch(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
        found = []
        for name in names:
            columns = await self.fetch("SELECT name FROM pragma_table_info(?)", (name,))
            if any(c[0] == column for c in columns):
                found.append(name)
        return found


def _commit_batch(db: sqlite3.Connection, batch: list[_Write]) -> list[int]:
    """Commit ``batch`` in one transaction (in the writer thread); the row count of each write."""
    if len(batch) == 1 and len(batch[0].params) == 1 and not batch[0].more:
        # one statement is atomic on its own (SQLite's implicit transaction)
        return [_execute(db, batch[0])]
    counts: list[int] = []
    db.execute("BEGIN IMMEDIATE")
    try:
        for item in batch:
            counts.append(_execute(db, item))
            for sql, params in item.more:
                db.execute(sql, params)
        db.execute("COMMIT")
    except Exception:
        db.execute("ROLLBACK")
        raise
    return counts


def _execute(db: sqlite3.Connection, item: _Write) -> int:
    """Run one queued write inside the current transaction; its row count."""
    if item.returning:
        item.rows = [tuple(row) for row in db.execute(item.sql, item.params[0]).fetchall()]
        return len(item.rows)
    if len(item.params) == 1:
        return db.execute(item.sql, item.params[0]).rowcount
    return db.executemany(item.sql, item.params).rowcount


def _settle(batch: list[_Write], outcomes: list[int | BaseException]) -> None:
    """In the event loop: each write's caller gets its row count or its error."""
    for item, outcome in zip(batch, outcomes, strict=True):
        if item.done.done():
            continue
        if isinstance(outcome, BaseException):
            item.done.set_exception(outcome)
        else:
            item.done.set_result(outcome)


def _finish(done: asyncio.Future[None]) -> None:
    if not done.done():
        done.set_result(None)


def _close_writer(db: sqlite3.Connection) -> None:
    try:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        db.close()


def _migrate(db: sqlite3.Connection) -> None:
    db.execute("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at REAL NOT NULL)")
    applied = {row[0] for row in db.execute("SELECT version FROM schema_migrations").fetchall()}
    for version in sorted(MIGRATIONS):
        if version in applied:
            continue
        db.execute("BEGIN IMMEDIATE")
        try:
            for statement in _split_sql(MIGRATIONS[version]):
                db.execute(statement)
            db.execute("INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)", (version, time.time()))
            db.execute("COMMIT")
        except Exception:
            db.execute("ROLLBACK")
            raise
        log.info("applied migration", extra={"version": version})


def _split_sql(script: str) -> list[str]:
    """The script's statements; a trigger's body (``BEGIN …; END``) stays one statement."""
    statements: list[str] = []
    current = ""
    for part in script.split(";"):
        current += part + ";"
        if sqlite3.complete_statement(current):
            if current.strip(" \n\t;"):
                statements.append(current.strip())
            current = ""
    if current.strip(" \n\t;"):
        statements.append(current.strip())
    return statements
