"""Answers owed, in PostgreSQL: the :class:`~agent.storage.ports.PendingAnswers` port (table
``pending_answers``, written by :meth:`PostgresMessages.add` in the statement that stores the message) and
the :class:`~agent.storage.ports.PendingCommands` port (table ``pending_commands``); replies given, the
:class:`~agent.storage.ports.ReplyLedger` port (table ``replies``).

Unlike SQLite, the owed answer has a small table of its own rather than columns on the message row: the
message table is partitioned and huge, and "every answer still owed" is read at every start.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from agent.memory.models import StoredMessage
from agent.storage.ports import PendingAnswer, PendingCommand, ReplyState
from agent.storage.postgres.db import Connection, Database
from agent.storage.postgres.messages import ADD, adding
from agent.storage.rows import pending_answer, pending_command, reply_state

OnOwedCommand = Callable[[Connection, PendingCommand], Awaitable[None]]

_SETTLE = "DELETE FROM pending_answers WHERE channel_key = %s AND message_id = %s"


class PostgresPending:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def owed(self) -> list[PendingAnswer]:
        rows = await self.db.fetch("SELECT channel_key, message_id, payload, created_at, note FROM pending_answers "
                                   "ORDER BY created_at, message_id")
        return [pending_answer(row) for row in rows]

    async def get(self, channel_key: str, message_id: str) -> PendingAnswer | None:
        rows = await self.db.fetch("SELECT channel_key, message_id, payload, created_at, note FROM pending_answers "
                                   "WHERE channel_key = %s AND message_id = %s", (channel_key, message_id))
        return pending_answer(rows[0]) if rows else None

    async def set_note(self, channel_key: str, message_id: str, note: str | None) -> None:
        await self.db.execute("UPDATE pending_answers SET note = %s WHERE channel_key = %s AND message_id = %s",
                              (note, channel_key, message_id))

    async def settle(self, channel_key: str, message_id: str) -> bool:
        return await self.db.execute(_SETTLE, (channel_key, message_id)) > 0


class PostgresPendingCommands:
    def __init__(self, db: Database, on_owed: OnOwedCommand | None = None) -> None:
        self.db = db
        self._on_owed = on_owed  # e.g. a job queue enqueuing the command in the same transaction

    async def owe(self, command: PendingCommand) -> bool:
        c = command
        insert = ("INSERT INTO pending_commands (channel_key, command_id, payload, route, created_at) "
                  "VALUES (%s, %s, %s, %s, %s) ON CONFLICT DO NOTHING")
        params = (c.channel_key, c.command_id, c.payload, c.route, c.created_at)
        if self._on_owed is None:
            return await self.db.execute(insert, params) > 0
        async with self.db.transaction() as conn:
            cursor = await conn.execute(insert, params)
            if cursor.rowcount <= 0:
                return False
            await self._on_owed(conn, command)
        return True

    async def owed(self) -> list[PendingCommand]:
        rows = await self.db.fetch("SELECT channel_key, command_id, payload, route, created_at FROM pending_commands "
                                   "ORDER BY created_at, command_id")
        return [pending_command(row) for row in rows]

    async def get(self, channel_key: str, command_id: str) -> PendingCommand | None:
        rows = await self.db.fetch("SELECT channel_key, command_id, payload, route, created_at FROM pending_commands "
                                   "WHERE channel_key = %s AND command_id = %s", (channel_key, command_id))
        return pending_command(rows[0]) if rows else None

    async def settle(self, channel_key: str, command_id: str) -> bool:
        return await self.db.execute("DELETE FROM pending_commands WHERE channel_key = %s AND command_id = %s",
                                     (channel_key, command_id)) > 0


class PostgresReplies:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def claim(self, source: str, channel_key: str, now: float) -> tuple[ReplyState, str | None]:
        # of two replicas claiming at once, the primary key lets one insert; the other reads its record
        if await self.db.execute("INSERT INTO replies (source, channel_key, claimed_at) VALUES (%s, %s, %s) "
                                 "ON CONFLICT DO NOTHING", (source, channel_key, now)):
            return reply_state(True, ())
        return reply_state(False, await self.db.fetch("SELECT message_id FROM replies WHERE source = %s", (source,)))

    async def attempted(self, source: str) -> bool:
        return bool(await self.db.fetch("SELECT 1 FROM replies WHERE source = %s", (source,)))

    async def delivered(self, source: str, message_id: str, *, said: StoredMessage | None = None,
                        settles: tuple[str, str] | None = None) -> None:
        record = ("UPDATE replies SET message_id = %s WHERE source = %s", (message_id, source))
        if said is None and settles is None:
            await self.db.execute(*record)
            return
        # one transaction, its statements sent together (one round trip)
        async with self.db.pool.connection() as conn, conn.pipeline(), conn.transaction():
            await conn.execute(*record)
            if said is not None:
                await conn.execute(ADD, adding(said))
            if settles is not None:
                await conn.execute(_SETTLE, settles)
