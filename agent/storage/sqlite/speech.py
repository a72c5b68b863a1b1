"""Seconds of audio transcribed in SQLite (table ``speech_usage``): the :class:`~agent.storage.ports.SpeechQuota`
port. A reservation is a row holding the seconds the header promised until settled with the decoded length."""

from __future__ import annotations

from agent.storage.sqlite.db import Database

KEEP_S = 2 * 86400  # rows older than the day counted are of no use: each reservation clears them


class SqliteSpeech:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def reserve(self, author_id: str, seconds: float, at: float, since: float, limit_s: float) -> int | None:
        await self.db.write("DELETE FROM speech_usage WHERE created_at < ?", (since - KEEP_S,))
        # summed and taken in one statement through the single writer: no other write runs in between
        rows = await self.db.write_returning(
            "INSERT INTO speech_usage (author_id, seconds, created_at) SELECT ?, ?, ? WHERE (SELECT "
            "COALESCE(SUM(seconds), 0) FROM speech_usage WHERE author_id = ? AND created_at >= ?) + ? <= ? "
            "RETURNING rowid", (author_id, seconds, at, author_id, since, seconds, limit_s))
        return int(rows[0][0]) if rows else None

    async def settle(self, reservation: int, seconds: float) -> None:
        await self.db.write("UPDATE speech_usage SET seconds = ? WHERE rowid = ?", (seconds, reservation))

    async def release(self, reservation: int) -> None:
        await self.db.write("DELETE FROM speech_usage WHERE rowid = ?", (reservation,))

    async def used_since(self, author_id: str, since: float) -> float:
        rows = await self.db.fetch(
            "SELECT COALESCE(SUM(seconds), 0) FROM speech_usage WHERE author_id = ? AND created_at >= ?",
            (author_id, since))
        return float(rows[0][0])
