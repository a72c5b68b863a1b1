"""Answers owed, in SQLite: the :class:`~agent.storage.ports.PendingAnswers` port (the ``owed`` columns of
the asking message's row in ``messages``, written by :meth:`SqliteMessages.add` in the same INSERT) and the
:class:`~agent.storage.ports.PendingCommands` port (table ``pending_commands``); replies given, the
:class:`~agent.storage.ports.ReplyLedger` port (table ``replies``).
"""

from __future__ import annotations

from agent.memory.models import StoredMessage
from agent.storage.ports import PendingAnswer, PendingCommand, ReplyState
from agent.storage.rows import pending_answer, pending_command, reply_state
from agent.storage.sqlite.db import Database, Params
from agent.storage.sqlite.messages import adding

_SETTLE = "UPDATE messages SET owed = NULL, owed_note = NULL WHERE channel_key = ? AND id = ? AND owed IS NOT NULL"


class SqlitePending:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def owed(self) -> list[PendingAnswer]:
        rows = await self.db.fetch("SELECT channel_key, id, owed, owed_at, owed_note FROM messages "
                                   "WHERE owed IS NOT NULL ORDER BY owed_at, id")
        return [pending_answer(row) for row in rows]

    async def get(self, channel_key: str, message_id: str) -> PendingAnswer | None:
        rows = await self.db.fetch("SELECT channel_key, id, owed, owed_at, owed_note FROM messages "
                                   "WHERE channel_key = ? AND id = ? AND owed IS NOT NULL", (channel_key, message_id))
        return pending_answer(rows[0]) if rows else None

    async def set_note(self, channel_key: str, message_id: str, note: str | None) -> None:
        await self.db.write("UPDATE messages SET owed_note = ? WHERE channel_key = ? AND id = ? AND owed IS NOT NULL",
                            (note, channel_key, message_id))

    async def settle(self, channel_key: str, message_id: str) -> bool:
        return await self.db.write(_SETTLE, (channel_key, message_id)) > 0


class SqlitePendingCommands:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def owe(self, command: PendingCommand) -> bool:
        c = command
        count = await self.db.write(
            "INSERT OR IGNORE INTO pending_commands (channel_key, command_id, payload, route, created_at) "
            "VALUES (?, ?, ?, ?, ?)", (c.channel_key, c.command_id, c.payload, c.route, c.created_at))
        return count > 0

    async def owed(self) -> list[PendingCommand]:
        rows = await self.db.fetch("SELECT channel_key, command_id, payload, route, created_at FROM pending_commands "
                                   "ORDER BY created_at, command_id")
        return [pending_command(row) for row in rows]

    async def get(self, channel_key: str, command_id: str) -> PendingCommand | None:
        rows = await self.db.fetch("SELECT channel_key, command_id, payload, route, created_at FROM pending_commands "
                                   "WHERE channel_key = ? AND command_id = ?", (channel_key, command_id))
        return pending_command(rows[0]) if rows else None

    async def settle(self, channel_key: str, command_id: str) -> bool:
        count = await self.db.write("DELETE FROM pending_commands WHERE channel_key = ? AND command_id = ?",
                                    (channel_key, command_id))
        return count > 0


class SqliteReplies:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def claim(self, source: str, channel_key: str, now: float) -> tuple[ReplyState, str | None]:
        if await self.db.write("INSERT OR IGNORE INTO replies (source, channel_key, claimed_at) VALUES (?, ?, ?)",
                               (source, channel_key, now)):
            return reply_state(True, ())
        return reply_state(False, await self.db.fetch("SELECT message_id FROM replies WHERE source = ?", (source,)))

    async def attempted(self, source: str) -> bool:
        return bool(await self.db.fetch("SELECT 1 FROM replies WHERE source = ?", (source,)))

    async def delivered(self, source: str, message_id: str, *, said: StoredMessage | None = None,
                        settles: tuple[str, str] | None = None) -> None:
        statements: list[tuple[str, Params]] = [("UPDATE replies SET message_id = ? WHERE source = ?",
                                                 (message_id, source))]
        if said is not None:
            statements.append(adding(said))
        if settles is not None:
            statements.append((_SETTLE, settles))
        await self.db.write_together(statements)  # one hand-off to the writer, one transaction
