"""For tests that look into (or arrange) what the SQLite storage holds, through its own connections.

Code under test never does this (only agent/storage/sqlite holds SQL); a test may, to check a table or to
set up a state no port offers (a thread idle for hours, 20,000 messages in one go)."""

from __future__ import annotations

from typing import Any

from agent.storage.sqlite import Database, SqliteStorage


def sqlite_db(deps: Any) -> Database:
    """The database of ``deps`` (a :class:`agent.deps.Deps`, or the store itself)."""
    store = getattr(deps, "store", deps)
    assert isinstance(store, SqliteStorage), "these tests look into the SQLite storage"
    return store.db


async def table_rows(deps: Any, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Rows of a query on the store of ``deps``."""
    return await sqlite_db(deps).fetch(sql, params)
