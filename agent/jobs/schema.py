"""procrastinate's tables and functions in the database, created once however many replicas start together.

procrastinate ships its schema as one SQL script (``SchemaManager.get_schema``) that names no schema: it
lands in the first schema of the connection's ``search_path``, and its queries find it there, so the
queue lives in whatever schema the store's URL selects (``options=-csearch_path=…``). The script is not
idempotent (``CREATE TYPE`` …), hence the check under a transaction-scoped advisory lock.

Upgrading procrastinate to a version with a new schema needs its migration files applied
(``procrastinate schema --migrations-path`` lists where they are); this module only creates.
"""

from __future__ import annotations

from typing import Any

import psycopg
from procrastinate.schema import SchemaManager

# pg_advisory_xact_lock key of the job-queue schema ("confab.jobs" in ASCII, fits a bigint)
SCHEMA_LOCK = 0x636F6E6661622E6A


async def schema_present(conn: psycopg.AsyncConnection[Any]) -> bool:
    cursor = await conn.execute("SELECT to_regclass('procrastinate_jobs') IS NOT NULL")
    row = await cursor.fetchone()
    return bool(row and row[0])


async def ensure_schema(conn: psycopg.AsyncConnection[Any]) -> bool:
    """Create procrastinate's schema in ``conn``'s ``search_path`` unless it is there; True if created.
    Runs (and commits) its own transaction: call it on a connection with none open."""
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK,))
        if await schema_present(conn):
            return False
        # one script of many statements: sent without parameters, so psycopg does not parse it for them
        await conn.execute(SchemaManager.get_schema())
    return True
