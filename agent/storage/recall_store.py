"""Opening the recall tables (:mod:`agent.storage.recall`) of an open storage, whichever backend it is."""

from __future__ import annotations

from agent.storage.ports import Storage
from agent.storage.recall import RecallStore


def recall_store(storage: Storage) -> RecallStore:
    """The recall tables of an open storage (the same database and connections)."""
    from agent.storage.sqlite import SqliteStorage

    if isinstance(storage, SqliteStorage):
        from agent.storage.sqlite.recall import SqliteRecall

        return SqliteRecall(storage.db)
    from agent.storage.postgres import PostgresStorage  # psycopg is needed only in the scaled mode

    if isinstance(storage, PostgresStorage):
        from agent.storage.postgres.recall import PostgresRecall

        return PostgresRecall(storage.db)
    raise TypeError(f"no recall store for {type(storage).__name__}")
