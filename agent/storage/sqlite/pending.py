"""Answers owed, in SQLite: the :class:`~agent.storage.ports.PendingAnswers` port (table ``pending_answers``)
and the :class:`~agent.storage.ports.PendingCommands` port (table ``pending_commands``).

Owed answers are added by :meth:`SqliteMessages.add` in the transaction that stores the asking message.
"""

from __future__ import annotations

from agent.storage.ports import PendingAnswer, PendingCommand
from agent.storage.sqlite.db import Database


class SqlitePending:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def owed(self) -> list[PendingAnswer]:
        rows = await self.db.fetch("SELECT channel_key, message_id, payload, created_at, note FROM pending_answers "
                                   "ORDER BY created_at, message_id")
        return [PendingAnswer(row[0], row[1], row[2], float(row[3]), row[4]) for row in rows]

    async def set_note(self, channel_key: str, message_id: str, note: str | None) -> None:
        await self.db.write("UPDATE pending_answers SET note = ? WHERE channel_key = ? AND message_id = ?",
                            (note, channel_key, message_id))

    async def settle(self, channel_key: str, message_id: str) -> bool:
        count = await self.db.write("DELETE FROM pending_answers WHERE channel_key = ? AND message_id = ?",
                                    (channel_key, message_id))
        return count > 0


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
        return [PendingCommand(row[0], row[1], row[2], row[3], float(row[4])) for row in rows]

    async def settle(self, channel_key: str, command_id: str) -> bool:
        count = await self.db.write("DELETE FROM pending_commands WHERE channel_key = ? AND command_id = ?",
                                    (channel_key, command_id))
        return count > 0
