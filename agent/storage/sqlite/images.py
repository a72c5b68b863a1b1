"""Generated images in SQLite (table ``image_generations``): the :class:`~agent.storage.ports.ImageLog` port."""

from __future__ import annotations

from agent.storage.sqlite.db import Database


class SqliteImages:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def record(self, channel_key: str, thread: str | None, author_id: str, prompt: str, file: str,
                     at: float) -> None:
        await self.db.write(
            "INSERT INTO image_generations (channel_key, thread, author_id, prompt, file, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?)", (channel_key, thread or "", author_id, prompt, file, at))

    async def count_since(self, author_id: str, since: float) -> int:
        rows = await self.db.fetch(
            "SELECT COUNT(*) FROM image_generations WHERE author_id = ? AND created_at >= ?", (author_id, since))
        return int(rows[0][0])

    async def last_prompt(self, channel_key: str, thread: str | None, since: float) -> str | None:
        rows = await self.db.fetch(
            "SELECT prompt FROM image_generations WHERE channel_key = ? AND thread = ? AND created_at >= ? "
            "ORDER BY created_at DESC LIMIT 1", (channel_key, thread or "", since))
        return str(rows[0][0]) if rows else None
