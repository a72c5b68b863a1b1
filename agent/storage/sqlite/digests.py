"""Digest schedules in SQLite (table ``digest_schedules``): the :class:`~agent.storage.digests.DigestStore` port.
A claim (and a finish) is one ``UPDATE … WHERE next_run = ?`` in the single writer: compare-and-set."""

from __future__ import annotations

from collections.abc import Sequence

from agent.storage.digests import COLUMNS, DigestSchedule, schedule_from_row
from agent.storage.sqlite.db import Database


class SqliteDigests:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def get(self, channel_key: str) -> DigestSchedule | None:
        rows = await self.db.fetch(f"SELECT {COLUMNS} FROM digest_schedules WHERE channel_key = ?", (channel_key,))
        return schedule_from_row(rows[0]) if rows else None

    async def put(self, schedule: DigestSchedule) -> None:
        await self.db.write(
            f"INSERT INTO digest_schedules ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (channel_key) DO UPDATE SET kind = excluded.kind, at_time = excluded.at_time, "
            "weekday = excluded.weekday, zone = excluded.zone, next_run = excluded.next_run, "
            "created_by = excluded.created_by, created_at = excluded.created_at, run_of = NULL", schedule.params())

    async def remove(self, channel_key: str) -> bool:
        return await self.db.write("DELETE FROM digest_schedules WHERE channel_key = ?", (channel_key,)) > 0

    async def due(self, now: float, platforms: Sequence[str], limit: int = 50) -> list[DigestSchedule]:
        if not platforms:
            return []
        marks = ", ".join("?" for _ in platforms)
        rows = await self.db.fetch(
            f"SELECT {COLUMNS} FROM digest_schedules WHERE next_run <= ? "
            f"AND substr(channel_key, 1, instr(channel_key, ':') - 1) IN ({marks}) ORDER BY next_run LIMIT ?",
            (now, *platforms, limit))
        return [schedule_from_row(r) for r in rows]

    async def claim(self, channel_key: str, due: float, lease_until: float) -> DigestSchedule | None:
        rows = await self.db.write_returning(
            "UPDATE digest_schedules SET next_run = ?, run_of = coalesce(run_of, ?) WHERE channel_key = ? "
            f"AND next_run = ? RETURNING {COLUMNS}", (lease_until, due, channel_key, due))
        return None if not rows else schedule_from_row(rows[0])

    async def finish(self, channel_key: str, leased: float, following: float, until: float | None) -> bool:
        return await self.db.write(
            "UPDATE digest_schedules SET next_run = ?, run_of = NULL, since = CASE WHEN ? IS NULL THEN since "
            "ELSE max(coalesce(since, ?), ?) END WHERE channel_key = ? AND next_run = ?",
            (following, until, until, until, channel_key, leased)) > 0

    async def covered(self, channel_key: str, until: float) -> None:
        await self.db.write("UPDATE digest_schedules SET since = max(coalesce(since, ?), ?) WHERE channel_key = ?",
                            (until, until, channel_key))
