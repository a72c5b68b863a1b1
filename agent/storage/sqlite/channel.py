"""Per-channel state in SQLite: followed threads, channel settings, rolling summaries, and the ledger of
platform events seen (tables ``followed_threads``, ``channel_settings``, ``summaries``, ``processed_events``)."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Any

from agent.storage.sqlite.db import Database
from agent.storage.sqlite.messages import dt, ts


class SqliteThreads:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def follow(self, channel_key: str, thread: str, kind: str = "mention",
                     data: dict[str, Any] | None = None) -> None:
        now = time.time()
        await self.db.write(
            "INSERT INTO followed_threads (channel_key, thread, kind, started_at, last_activity, data) "
            "VALUES (?,?,?,?,?,?) ON CONFLICT (channel_key, thread) DO UPDATE SET "
            "kind = excluded.kind, last_activity = excluded.last_activity, data = excluded.data",
            (channel_key, thread, kind, now, now, json.dumps(data or {})),
        )

    async def followed(self, channel_key: str, thread: str) -> tuple[str, dict[str, Any], datetime] | None:
        rows = await self.db.fetch(
            "SELECT kind, data, last_activity FROM followed_threads WHERE channel_key = ? AND thread = ?",
            (channel_key, thread),
        )
        if not rows:
            return None
        kind, data, last = rows[0]
        return str(kind), json.loads(data), dt(last) or datetime.now(UTC)

    async def touch(self, channel_key: str, thread: str, data: dict[str, Any] | None = None) -> None:
        if data is None:
            await self.db.write(
                "UPDATE followed_threads SET last_activity = ? WHERE channel_key = ? AND thread = ?",
                (time.time(), channel_key, thread),
            )
        else:
            await self.db.write(
                "UPDATE followed_threads SET last_activity = ?, data = ? WHERE channel_key = ? AND thread = ?",
                (time.time(), json.dumps(data), channel_key, thread),
            )

    async def unfollow(self, channel_key: str, thread: str) -> bool:
        return await self.db.write(
            "DELETE FROM followed_threads WHERE channel_key = ? AND thread = ?", (channel_key, thread)
        ) > 0


class SqliteChannelSettings:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def get(self, channel_key: str, key: str, default: Any = None) -> Any:
        rows = await self.db.fetch(
            "SELECT value FROM channel_settings WHERE channel_key = ? AND key = ?", (channel_key, key)
        )
        return json.loads(rows[0][0]) if rows else default

    async def set(self, channel_key: str, key: str, value: Any) -> None:
        await self.db.write(
            "INSERT INTO channel_settings (channel_key, key, value) VALUES (?,?,?) "
            "ON CONFLICT (channel_key, key) DO UPDATE SET value = excluded.value",
            (channel_key, key, json.dumps(value)),
        )


class SqliteSummaries:
    """Read with each agent turn's history (:meth:`SqliteMessages.context`, one round trip), so it needs no
    cache (a per-process one would go stale beside another process writing the same database)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def get(self, channel_key: str, thread: str | None = None) -> tuple[str, datetime] | None:
        rows = await self.db.fetch("SELECT text, upto FROM summaries WHERE channel_key = ? AND thread = ?",
                                   (channel_key, thread or ""))
        return (str(rows[0][0]), dt(rows[0][1]) or datetime.now(UTC)) if rows else None

    async def set(self, channel_key: str, text: str, upto: datetime, thread: str | None = None) -> None:
        await self.db.write(
            "INSERT INTO summaries (channel_key, thread, text, upto, updated_at) VALUES (?,?,?,?,?) "
            "ON CONFLICT (channel_key, thread) DO UPDATE SET text = excluded.text, upto = excluded.upto, "
            "updated_at = excluded.updated_at",
            (channel_key, thread or "", text, ts(upto), time.time()),
        )


class SqliteEvents:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def first_delivery(self, event_id: str) -> bool:
        count = await self.db.write(
            "INSERT OR IGNORE INTO processed_events (event_id, seen_at) VALUES (?, ?)", (event_id, time.time())
        )
        return count > 0
