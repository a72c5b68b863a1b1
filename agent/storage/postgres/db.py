"""The PostgreSQL database: a psycopg connection pool, advisory locks and the migrations.

Connections are in autocommit mode: a single statement is its own transaction (most writes are one
statement, data-modifying CTEs included), and :meth:`Database.transaction` groups several. Sessions run in
UTC, so timestamps come back as aware UTC datetimes. Only the repositories of this package use it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any, LiteralString

import psycopg
from psycopg import AsyncConnection, sql
from psycopg_pool import AsyncConnectionPool

from agent.errors import StorageError
from agent.storage.postgres.migrations import MIGRATIONS

log = logging.getLogger(__name__)

Params = Sequence[Any] | dict[str, Any]
Query = LiteralString | sql.Composed
Connection = AsyncConnection[tuple[Any, ...]]


async def _configure(conn: Connection) -> None:
    await conn.execute("SET TIME ZONE 'UTC'")


class Database:
    """Open with ``await Database.open(url)``; close with ``await db.close()``."""

    def __init__(self, pool: AsyncConnectionPool[Connection]) -> None:
        self.pool = pool

    @classmethod
    async def open(cls, url: str, min_size: int = 1, max_size: int = 10) -> Database:
        pool: AsyncConnectionPool[Connection] = AsyncConnectionPool(
            url, min_size=min_size, max_size=max_size, kwargs={"autocommit": True}, configure=_configure,
            open=False, name="confab-storage")
        try:
            await pool.open(wait=True, timeout=15)
        except Exception as exc:  # PoolTimeout: unreachable, refused, no such database …
            await pool.close()
            raise StorageError(f"cannot connect to PostgreSQL: {type(exc).__name__}") from exc
        db = cls(pool)
        try:
            await migrate(db)
        except BaseException:
            await pool.close()
            raise
        return db

    async def close(self) -> None:
        await self.pool.close()

    async def fetch(self, query: Query, params: Params = ()) -> list[tuple[Any, ...]]:
        async with self.pool.connection() as conn:
            cursor = await conn.execute(query, params)
            return await cursor.fetchall()

    async def execute(self, query: Query, params: Params = ()) -> int:
        """One statement (its own transaction); the rows it affected."""
        async with self.pool.connection() as conn:
            return (await conn.execute(query, params)).rowcount

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Connection]:
        """A connection inside one transaction: committed when the block ends, rolled back on an error."""
        async with self.pool.connection() as conn, conn.transaction():
            yield conn

    @asynccontextmanager
    async def locked(self, name: str, wait: bool = True) -> AsyncIterator[Connection | None]:
        """A connection holding the session advisory lock ``name`` (scoped to the current schema, so two
        deployments sharing a database do not wait on each other); None when ``wait`` is false and another
        session holds it."""
        async with self.pool.connection() as conn:
            key = f"confab:{name}"
            if wait:
                await conn.execute("SELECT pg_advisory_lock(hashtextextended(%s || current_schema(), 0))", (key,))
                got = True
            else:
                row = await (await conn.execute(
                    "SELECT pg_try_advisory_lock(hashtextextended(%s || current_schema(), 0))", (key,))).fetchone()
                got = bool(row and row[0])
            try:
                yield conn if got else None
            finally:
                if got:
                    await conn.execute("SELECT pg_advisory_unlock(hashtextextended(%s || current_schema(), 0))",
                                       (key,))


async def migrate(db: Database) -> list[int]:
    """Apply the migrations not yet recorded, each in its own transaction, under an advisory lock: replicas
    starting together wait for the first, then find nothing left to do. Returns the versions applied here."""
    applied_here: list[int] = []
    async with db.locked("migrate") as conn:
        assert conn is not None
        await conn.execute("CREATE TABLE IF NOT EXISTS schema_migrations "
                           "(version integer PRIMARY KEY, applied_at double precision NOT NULL)")
        rows = await (await conn.execute("SELECT version FROM schema_migrations")).fetchall()
        applied = {int(row[0]) for row in rows}
        for version in sorted(set(MIGRATIONS) - applied):
            try:
                async with conn.transaction():
                    await conn.execute(MIGRATIONS[version])
                    await conn.execute("INSERT INTO schema_migrations (version, applied_at) VALUES (%s, %s)",
                                       (version, time.time()))
            except psycopg.Error as exc:
                raise StorageError(f"PostgreSQL migration {version} failed: {exc}") from exc
            applied_here.append(version)
            log.info("applied migration", extra={"version": version})
    return applied_here
