"""Opening the digest schedules of a storage: the port (agent/storage/digests.py) names no backend; this picks the
one the storage is (kept apart so the port and its implementations import one way, as agent/storage/recall_store.py)."""

from __future__ import annotations

from agent.storage.digests import DigestStore
from agent.storage.ports import Storage


def digest_store(storage: Storage) -> DigestStore:
    """The digest schedules of an open storage (the same database and connections)."""
    from agent.storage.sqlite import SqliteStorage

    if isinstance(storage, SqliteStorage):
        from agent.storage.sqlite.digests import SqliteDigests

        return SqliteDigests(storage.db)
    from agent.storage.postgres import PostgresStorage  # psycopg is needed only in the scaled mode

    if isinstance(storage, PostgresStorage):
        from agent.storage.postgres.digests import PostgresDigests

        return PostgresDigests(storage.db)
    raise TypeError(f"no digest store for {type(storage).__name__}")
