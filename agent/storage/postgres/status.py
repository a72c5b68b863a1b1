"""What ``confab doctor`` and ``confab migrate --check`` read of a PostgreSQL store, changing nothing: the
server's version, the migrations applied, whether the job queue's tables are there. One short-lived,
read-only connection with a timeout on connecting and on every statement, so a doctor never hangs.
"""

from __future__ import annotations

from dataclasses import dataclass

import psycopg

from agent.errors import StorageError
from agent.storage.postgres.migrations import MIGRATIONS

KNOWN_MIGRATIONS = frozenset(MIGRATIONS)  # the versions this release ships


class Unreachable(StorageError):
    """No connection (refused, timed out, bad password, no such database …); ``__cause__`` says why."""


class Unreadable(StorageError):
    """Connected, but the store's tables could not be read; ``__cause__`` says why."""


@dataclass(frozen=True)
class StoreStatus:
    server_version: str
    table: bool  # schema_migrations exists: the database was migrated at least once
    applied: frozenset[int]
    queue: bool  # procrastinate's tables (the job queue) exist
    queue_applied: frozenset[str] | None = None  # procrastinate migrations recorded (None: no record kept)


def read_status(url: str, timeout_s: int) -> StoreStatus:
    try:
        conn = psycopg.connect(url, connect_timeout=timeout_s, autocommit=True)
    except Exception as exc:
        raise Unreachable(str(exc)) from exc
    with conn:
        try:
            conn.execute("SELECT set_config('statement_timeout', %s, false)", (str(timeout_s * 1000),))
            version = conn.execute("SHOW server_version").fetchone()
            # to_regclass follows the search_path, as the store's own queries do
            table = conn.execute("SELECT to_regclass('schema_migrations') IS NOT NULL").fetchone()
            exists = bool(table and table[0])
            rows = conn.execute("SELECT version FROM schema_migrations").fetchall() if exists else []
            queue = conn.execute("SELECT to_regclass('procrastinate_jobs') IS NOT NULL").fetchone()
            tracked = conn.execute("SELECT to_regclass('confab_queue_migrations') IS NOT NULL").fetchone()
            names = (conn.execute("SELECT name FROM confab_queue_migrations").fetchall()
                     if tracked and tracked[0] else None)
        except psycopg.Error as exc:
            raise Unreadable(str(exc)) from exc
    return StoreStatus(str(version[0]) if version else "?", exists, frozenset(int(r[0]) for r in rows),
                       bool(queue and queue[0]), None if names is None else frozenset(str(r[0]) for r in names))
