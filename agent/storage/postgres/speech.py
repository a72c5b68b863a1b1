"""Seconds of audio transcribed in PostgreSQL (table ``speech_usage``): the
:class:`~agent.storage.ports.SpeechQuota` port, reserved under an advisory lock per author (any replica)."""

from __future__ import annotations

from agent.storage.postgres.db import Database

KEEP_S = 2 * 86400  # rows older than the day counted are of no use: each reservation clears them


class PostgresSpeech:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def reserve(self, author_id: str, seconds: float, at: float, since: float, limit_s: float) -> int | None:
        await self.db.execute("DELETE FROM speech_usage WHERE created_at < %s", (since - KEEP_S,))
        async with self.db.transaction() as conn:
            # one author's reservations queue on this lock; the sum runs after it is granted, in a statement of
            # its own, so it sees every reservation committed before
            await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended('confab:speech:' || %s, 0))",
                               (author_id,))
            row = await (await conn.execute(
                "INSERT INTO speech_usage (author_id, seconds, created_at) SELECT %(author)s, %(seconds)s, %(at)s "
                "WHERE (SELECT COALESCE(sum(seconds), 0) FROM speech_usage WHERE author_id = %(author)s "
                "AND created_at >= %(since)s) + %(seconds)s <= %(limit)s RETURNING id",
                {"author": author_id, "seconds": seconds, "at": at, "since": since, "limit": limit_s})).fetchone()
        return int(row[0]) if row else None

    async def settle(self, reservation: int, seconds: float) -> None:
        await self.db.execute("UPDATE speech_usage SET seconds = %s WHERE id = %s", (seconds, reservation))

    async def release(self, reservation: int) -> None:
        await self.db.execute("DELETE FROM speech_usage WHERE id = %s", (reservation,))

    async def used_since(self, author_id: str, since: float) -> float:
        rows = await self.db.fetch(
            "SELECT COALESCE(sum(seconds), 0) FROM speech_usage WHERE author_id = %s AND created_at >= %s",
            (author_id, since))
        return float(rows[0][0])
