"""The SQLite database file: connections, the single writer task and the migrations.

One writer task owns the write connection: every write is queued, and the writer commits whatever
has queued up in a single ``BEGIN IMMEDIATE`` transaction (group commit), so 200 channels writing at
once cost one fsync per batch, not per message. Reads use a second connection (WAL lets them run
beside the writer). Callers awaiting a write return only after its transaction committed.

Only the repositories of this package use :meth:`Database.write` / :meth:`Database.fetch`.
"""

from __future__ import annotations

import asyncio
import logging
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
    done: asyncio.Future[int] = field(default_factory=lambda: asyncio.get_running_loop().create_future())


class Database:
    """Open with ``await Database.open(path)``; close with ``await db.close()``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._writer_db: aiosqlite.Connection | None = None
        self._reader_db: aiosqlite.Connection | None = None
        self._queue: asyncio.Queue[_Write | None] = asyncio.Queue()
        self._writer_task: asyncio.Task[None] | None = None
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

    async def tables_with_column(self, column: str) -> list[str]:
        names = [row[0] for row in await self.fetch(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
        found = []
        for name in names:
            columns = await self.fetch("SELECT name FROM pragma_table_info(?)", (name,))
            if any(c[0] == column for c in columns):
                found.append(name)
        return found


def _split_sql(script: str) -> list[str]:
    return [s.strip() for s in script.split(";") if s.strip()]
