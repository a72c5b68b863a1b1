"""Storage behind ports: :mod:`agent.storage.ports` says what is kept (one Protocol per kind of data),
:mod:`agent.storage.sqlite` keeps it in one SQLite file (the embedded default). Everything else in
Confab talks to the ports; a second backend (PostgreSQL) is another package here and one more branch
in :func:`open_storage`.
"""

from __future__ import annotations

from pathlib import Path

from agent.storage.ports import Storage
from agent.storage.sqlite import SqliteStorage


async def open_storage(database: Path | str) -> Storage:
    """Open (creating and migrating it when needed) the store at ``database``."""
    return await SqliteStorage.open(database)


__all__ = ["Storage", "open_storage"]
