"""Per-channel state in PostgreSQL: followed threads, channel settings, rolling summaries, and the ledger of
platform events seen (tables ``followed_threads``, ``channel_settings``, ``summaries``, ``processed_events``)."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from psycopg.types.json import Jsonb

from agent.storage.postgres.db import Database


class PostgresThreads:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def follow(self, channel_key: str, thread: str, kind: str = "mention",
                     data: dict[str, Any] | None = None) -> None:
        await self.db.execute(
            "INSERT INTO followed_threads (channel_key, thread, kind, started_at, last_activity, data) "
            "VALUES (%s, %s, %s, now(), now(), %s) ON CONFLICT (channel_key, thread) DO UPDATE SET "
            "kind = excluded.kind, last_activity = excluded.last_activity, data = excluded.data",
            (channel_key, thread, kind, Jsonb(data or {})))

    async def followed(self, channel_key: str, thread: str) -> tuple[str, dict[str, Any], datetime] | None:
        rows = await self.db.fetch(
            "SELECT kind, data, last_activity FROM followed_threads WHERE channel_key = %s AND thread = %s",
            (channel_key, thread))
        if not rows:
            return None
        kind, data, last = rows[0]
        return str(kind), dict(data), last

    async def touch(self, channel_key: str, thread: str, data: dict[str, Any] | None = None) -> None:
        await self.db.execute(
            "UPDATE followed_threads SET last_activity = now(), data = coalesce(%s, data) "
            "WHERE channel_key = %s AND thread = %s",
            (Jsonb(data) if data is not None else None, channel_key, thread))

    async def unfollow(self, channel_key: str, thread: str) -> bool:
        return await self.db.execute(
            "DELETE FROM followed_threads WHERE channel_key = %s AND thread = %s", (channel_key, thread)) > 0


class PostgresChannelSettings:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def get(self, channel_key: str, key: str, default: Any = None) -> Any:
        rows = await self.db.fetch(
            "SELECT value FROM channel_settings WHERE channel_key = %s AND key = %s", (channel_key, key))
        return rows[0][0] if rows else default

    async def set(self, channel_key: str, key: str, value: Any) -> None:
        await self.db.execute(
            "INSERT INTO channel_settings (channel_key, key, value) VALUES (%s, %s, %s) "
            "ON CONFLICT (channel_key, key) DO UPDATE SET value = excluded.value",
            (channel_key, key, Jsonb(value)))


class PostgresSummaries:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def get(self, channel_key: str, thread: str | None = None) -> tuple[str, datetime] | None:
        rows = await self.db.fetch("SELECT text, upto FROM summaries WHERE channel_key = %s AND thread = %s",
                                   (channel_key, thread or ""))
        return (str(rows[0][0]), rows[0][1]) if rows else None

    async def set(self, channel_key: str, text: str, upto: datetime, thread: str | None = None) -> None:
        await self.db.execute(
            "INSERT INTO summaries (channel_key, thread, text, upto, updated_at) VALUES (%s, %s, %s, %s, %s) "
            "ON CONFLICT (channel_key, thread) DO UPDATE SET text = excluded.text, upto = excluded.upto, "
            "updated_at = excluded.updated_at",
            (channel_key, thread or "", text, upto, datetime.now(UTC)))


class PostgresEvents:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def first_delivery(self, event_id: str) -> bool:
        # the primary key decides: of two replicas inserting at once, one inserts and the other waits, then skips
        return await self.db.execute(
            "INSERT INTO processed_events (event_id, seen_at) VALUES (%s, %s) ON CONFLICT DO NOTHING",
            (event_id, time.time())) > 0
