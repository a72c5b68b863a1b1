"""Storage behind ports: :mod:`agent.storage.ports` says what is kept (one Protocol per kind of data),
:mod:`agent.storage.sqlite` keeps it in one SQLite file (the embedded default). Everything else in
Confab talks to the ports; a second backend (PostgreSQL) is another package here and one more branch
in :func:`open_storage`, chosen by settings.
"""

from __future__ import annotations

from agent.settings import Settings
from agent.storage.ports import Storage
from agent.storage.sqlite import SqliteStorage


async def open_storage(settings: Settings) -> Storage:
    """Open (creating and migrating it when needed) the store the settings name: today the SQLite file
    ``settings.database`` (``CONFAB_DB_PATH``, by default ``data/confab.db``)."""
    return await SqliteStorage.open(settings.database)


__all__ = ["Storage", "open_storage"]
