"""Digest schedules in PostgreSQL (table ``digest_schedules``): the :class:`~agent.storage.digests.DigestStore`
port. A claim is one ``UPDATE … WHERE next_run = %s RETURNING``: when replicas race for a due run, the row lock
makes the second wait for the first, then re-check ``next_run`` and find it moved, so exactly one claims it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import LiteralString

from agent.storage.digests import DigestSchedule, schedule_from_row
from agent.storage.postgres.db import Database

_COLUMNS: LiteralString = ("channel_key, kind, at_time, weekday, zone, next_run, since, created_by, created_at, "
                           "run_of")


class PostgresDigests:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def get(self, channel_key: str) -> DigestSchedule | None:
        rows = await self.db.fetch(f"SELECT {_COLUMNS} FROM digest_schedules WHERE channel_key = %s", (channel_key,))
        return schedule_from_row(rows[0]) if rows else None

    async def put(self, schedule: DigestSchedule) -> None:
        await self.db.execute(
            f"INSERT INTO digest_schedules ({_COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) "
            "ON CONFLICT (channel_key) DO UPDATE SET kind = excluded.kind, at_time = excluded.at_time, "
            "weekday = excluded.weekday, zone = excluded.zone, next_run = excluded.next_run, "
            "created_by = excluded.created_by, created_at = excluded.created_at, run_of = NULL", schedule.params())

    async def remove(self, channel_key: str) -> bool:
        return await self.db.execute("DELETE FROM digest_schedules WHERE channel_key = %s", (channel_key,)) > 0

    async def due(self, now: float, platforms: Sequence[str], limit: int = 50) -> list[DigestSchedule]:
        rows = await self.db.fetch(
            f"SELECT {_COLUMNS} FROM digest_schedules WHERE next_run <= %s "
            "AND split_part(channel_key, ':', 1) = ANY(%s::text[]) ORDER BY next_run LIMIT %s",
            (now, list(platforms), limit))
        return [schedule_from_row(r) for r in rows]

    async def claim(self, channel_key: str, due: float, lease_until: float) -> DigestSchedule | None:
        rows = await self.db.fetch(
            "UPDATE digest_schedules SET next_run = %s, run_of = coalesce(run_of, %s) WHERE channel_key = %s "
            f"AND next_run = %s RETURNING {_COLUMNS}", (lease_until, due, channel_key, due))
        return None if not rows else schedule_from_row(rows[0])

    async def finish(self, channel_key: str, leased: float, following: float, until: float | None) -> bool:
        return await self.db.execute(
            "UPDATE digest_schedules SET next_run = %s, run_of = NULL, since = CASE WHEN %s::float8 IS NULL "
            "THEN since ELSE greatest(coalesce(since, %s::float8), %s::float8) END "
            "WHERE channel_key = %s AND next_run = %s",
            (following, until, until, until, channel_key, leased)) > 0

    async def covered(self, channel_key: str, until: float) -> None:
        await self.db.execute(
            "UPDATE digest_schedules SET since = greatest(coalesce(since, %s), %s) WHERE channel_key = %s",
            (until, until, channel_key))
