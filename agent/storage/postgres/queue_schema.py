"""procrastinate's tables and functions: created once however many replicas start together, then upgraded with
the migration files the installed procrastinate ships.

procrastinate ships its schema as one SQL script (``SchemaManager.get_schema``) that names no schema: it
lands in the first schema of the connection's ``search_path``, and its queries find it there, so the
queue lives in whatever schema the store's URL selects (``options=-csearch_path=…``). The script is not
idempotent (``CREATE TYPE`` …), hence the check under a transaction-scoped advisory lock.

procrastinate leaves it to its users to track which of its migrations are applied. Confab records them in
``confab_queue_migrations``: creating the schema records every migration the installed version ships (its
script already holds them), and ``confab migrate`` applies the ones a newer procrastinate brings, in order,
each in its own transaction with its record, under the same lock. A migration is ``pre`` (apply before the
new code runs) or ``post`` (after every process runs it; files without either word are ``post``, as
procrastinate's own docs say): ``confab migrate --pre`` is the step before a rolling upgrade, plain
``confab migrate`` applies everything, which is right when nothing of the old version still runs.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import psycopg
from procrastinate.schema import SchemaManager

from agent.errors import StorageError

log = logging.getLogger(__name__)

# pg_advisory_xact_lock key of the job-queue schema ("confab.jobs" in ASCII, fits a bigint)
SCHEMA_LOCK = 0x636F6E6661622E6A
_FILE = re.compile(r"^(\d+)\.(\d+)\.(\d+)_(\d+)_(?:(pre|post)_)?[\w.-]*\.sql$")


class QueueSchemaError(StorageError):
    """A procrastinate migration failed (it was rolled back, and so was nothing before it), or one can't be
    applied yet."""


@dataclass(frozen=True, slots=True, order=True)
class QueueMigration:
    version: tuple[int, int, int]
    serial: int
    name: str  # the file's name, its key in confab_queue_migrations
    phase: str  # "pre" or "post"
    path: Path


def installed_migrations() -> Path:
    """The folder of the installed procrastinate's migration files (``procrastinate schema --migrations-path``)."""
    return Path(str(resources.files("procrastinate.sql") / "migrations"))


def shipped(folder: Path | None = None) -> list[QueueMigration]:
    """The migration files of the installed procrastinate (or of ``folder``), oldest first."""
    where = installed_migrations() if folder is None else folder
    found = []
    for path in where.iterdir():
        if match := _FILE.match(path.name):
            major, minor, patch, serial, phase = match.groups()
            found.append(QueueMigration((int(major), int(minor), int(patch)), int(serial), path.name,
                                        phase or "post", path))
    return sorted(found)


async def schema_present(conn: psycopg.AsyncConnection[Any]) -> bool:
    cursor = await conn.execute("SELECT to_regclass('procrastinate_jobs') IS NOT NULL")
    row = await cursor.fetchone()
    return bool(row and row[0])


async def ensure_schema(conn: psycopg.AsyncConnection[Any], folder: Path | None = None) -> bool:
    """Create procrastinate's schema in ``conn``'s ``search_path`` unless it is there; True if created.
    Runs (and commits) its own transaction: call it on a connection with none open."""
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK,))
        if await schema_present(conn):
            if not await _tracked(conn):  # made before Confab kept track: taken as the installed version's
                await _track(conn, shipped(folder))
                log.info("jobs: procrastinate's migrations recorded as applied (the schema predates the record)")
            return False
        # one script of many statements: sent without parameters, so psycopg does not parse it for them
        await conn.execute(SchemaManager.get_schema())
        await _track(conn, shipped(folder))
    return True


async def pending(conn: psycopg.AsyncConnection[Any], folder: Path | None = None) -> list[QueueMigration]:
    """The shipped migrations not applied yet (none when there is no schema: creating it applies them all)."""
    if not await schema_present(conn) or not await _tracked(conn):
        return []
    cursor = await conn.execute("SELECT name FROM confab_queue_migrations")
    applied = {row[0] for row in await cursor.fetchall()}
    return [m for m in shipped(folder) if m.name not in applied]


async def upgrade_schema(conn: psycopg.AsyncConnection[Any], *, pre_only: bool = False,
                         folder: Path | None = None) -> list[str]:
    """Apply the pending migrations in order (``pre_only``: only those before the first pending ``post``);
    returns the names applied. Each runs in its own transaction with its record, under the schema lock, so
    two migrators apply each once and a failure leaves the ones before it applied and none of itself."""
    await ensure_schema(conn, folder)
    applied: list[str] = []
    while True:
        async with conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK,))
            waiting = await pending(conn, folder)
            if not waiting or (pre_only and waiting[0].phase == "post"):
                if pre_only and any(m.phase == "pre" for m in waiting):
                    raise QueueSchemaError(
                        f"procrastinate migration {waiting[0].name} must be applied after the version that "
                        "ships it runs everywhere, before the newer ones: upgrade one version at a time")
                return applied
            migration = waiting[0]
            try:
                async with conn.transaction():  # a savepoint: a failed script leaves nothing half-applied
                    await conn.execute(migration.path.read_text(encoding="utf-8"))
            except psycopg.Error as exc:
                raise QueueSchemaError(f"procrastinate migration {migration.name} failed: "
                                       f"{type(exc).__name__}: {exc}") from exc
            await _track(conn, [migration])
        log.info("jobs: applied procrastinate migration", extra={"migration": migration.name})
        applied.append(migration.name)


async def _tracked(conn: psycopg.AsyncConnection[Any]) -> bool:
    cursor = await conn.execute("SELECT to_regclass('confab_queue_migrations') IS NOT NULL")
    row = await cursor.fetchone()
    return bool(row and row[0])


async def _track(conn: psycopg.AsyncConnection[Any], migrations: list[QueueMigration]) -> None:
    await conn.execute("CREATE TABLE IF NOT EXISTS confab_queue_migrations "
                       "(name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())")
    async with conn.cursor() as cursor:
        await cursor.executemany("INSERT INTO confab_queue_migrations (name) VALUES (%s) ON CONFLICT DO NOTHING",
                                 [(m.name,) for m in migrations])
