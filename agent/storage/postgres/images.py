"""Generated images in PostgreSQL (table ``image_generations``): the :class:`~agent.storage.ports.ImageLog`
port. A reservation is a row with an empty ``file`` until completed; its id is the row's identity."""

from __future__ import annotations

from agent.storage.postgres.db import Database


class PostgresImages:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def reserve(self, channel_key: str, thread: str | None, author_id: str, prompt: str, at: float,
                      since: float, limit: int) -> int | None:
        async with self.db.transaction() as conn:
            # one author's reservations queue on this lock (any replica); the count runs after it is granted,
            # in a statement of its own, so it sees every reservation committed before
            await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended('confab:image:' || %s, 0))",
                               (author_id,))
            row = await (await conn.execute(
                "INSERT INTO image_generations (channel_key, thread, author_id, prompt, created_at) "
                "SELECT %(key)s, %(thread)s, %(author)s, %(prompt)s, %(at)s WHERE (SELECT count(*) "
                "FROM image_generations WHERE author_id = %(author)s AND created_at >= %(since)s) < %(limit)s "
                "RETURNING id", {"key": channel_key, "thread": thread or "", "author": author_id, "prompt": prompt,
                                 "at": at, "since": since, "limit": limit})).fetchone()
        return int(row[0]) if row else None

    async def complete(self, reservation: int, prompt: str, file: str) -> None:
        await self.db.execute("UPDATE image_generations SET prompt = %s, file = %s WHERE id = %s",
                              (prompt, file, reservation))

    async def release(self, reservation: int) -> None:
        await self.db.execute("DELETE FROM image_generations WHERE id = %s AND file = ''", (reservation,))

    async def count_since(self, author_id: str, since: float) -> int:
        rows = await self.db.fetch(
            "SELECT count(*) FROM image_generations WHERE author_id = %s AND created_at >= %s", (author_id, since))
        return int(rows[0][0])

    async def last_prompt(self, channel_key: str, thread: str | None, since: float) -> str | None:
        rows = await self.db.fetch(
            "SELECT prompt FROM image_generations WHERE channel_key = %s AND thread = %s AND created_at >= %s "
            "AND file != '' ORDER BY created_at DESC, id DESC LIMIT 1", (channel_key, thread or "", since))
        return str(rows[0][0]) if rows else None
