"""Storage behind ports: :mod:`agent.storage.ports` says what is kept (one Protocol per kind of data);
:mod:`agent.storage.sqlite` keeps it in one SQLite file (the embedded default), :mod:`agent.storage.postgres`
in PostgreSQL (the scaled mode, several processes sharing it). Everything else in Confab talks to the ports.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from agent.settings import Settings
from agent.storage.ports import Storage

if TYPE_CHECKING:
    from agent.storage.postgres import OnOwed, OnOwedCommand


async def open_storage(settings: Settings, on_owed: OnOwed | None = None,
                       on_owed_command: OnOwedCommand | None = None) -> Storage:
    """Open (creating and migrating it when needed) the store the settings name: PostgreSQL at
    ``CONFAB_DATABASE_URL`` when it is set, else the SQLite file ``settings.database`` (``CONFAB_DB_PATH``).

    ``on_owed(connection, answer)`` (PostgreSQL only) runs inside the transaction that stores a message
    owed an answer: the job queue defers the answer there, so the job exists exactly when the message does;
    ``on_owed_command`` likewise for a command recorded as owed."""
    if settings.database_url is not None:
        from agent.storage.postgres import PostgresStorage  # psycopg is needed only in the scaled mode

        return await PostgresStorage.open(settings.database_url.get_secret_value(), on_owed=on_owed,
                                          on_owed_command=on_owed_command,
                                          max_connections=settings.database_pool_size)
    from agent.storage.sqlite import SqliteStorage

    return await SqliteStorage.open(settings.database)


__all__ = ["Storage", "open_storage"]
