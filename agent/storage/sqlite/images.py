"""Generated images in SQLite (table ``image_generations``): the :class:`~agent.storage.ports.ImageLog` port.

A reservation is a row with an empty ``file`` until completed; its id is the row's rowid."""

from __future__ import annotations

from agent.storage.sqlite.db import Database


class SqliteImages:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def reserve(self, channel_key: str, thread: str | None, author_id: str, prompt: str, at: float,
                      since: float, limit: int) -> int | None:
        # counted and taken in one statement through the single writer: no other write runs in between
        rows = await self.db.write_returning(
            "INSERT INTO image_generations (channel_key, thread, author_id, prompt, file, created_at) "
            "SELECT ?, ?, ?, ?, '', ? WHERE (SELECT COUNT(*) FROM image_generations WHERE author_id = ? "
            "AND created_at >= ?) < ? RETURNING rowid",
            (channel_key, thread or "", author_id, prompt, at, author_id, since, limit))
        return int(rows[0][0]) if rows else None

    async def complete(self, reservation: int, prompt: str, file: str) -> None:
        await self.db.write("UPDATE image_generations SET prompt = ?, file = ? WHERE rowid = ?",
                            (prompt, file, reservation))

    async def release(self, reservation: int) -> None:
        await self.db.write("DELETE FROM image_generations WHERE rowid = ? AND file = ''", (reservation,))

    async def count_since(self, author_id: str, since: float) -> int:
        rows = await self.db.fetch(
            "SELECT COUNT(*) FROM image_generations WHERE author_id = ? AND created_at >= ?", (author_id, since))
        return int(rows[0][0])

    async def last_prompt(self, channel_key: str, thread: str | None, since: float) -> str | None:
        rows = await self.db.fetch(
            "SELECT prompt FROM image_generations WHERE channel_key = ? AND thread = ? AND created_at >= ? "
            "AND file != '' ORDER BY created_at DESC, rowid DESC LIMIT 1", (channel_key, thread or "", since))
        return str(rows[0][0]) if rows else None
