"""Conversation search's tables in PostgreSQL (``recall_vectors``, ``recall_log``): the
:class:`~agent.storage.recall.RecallStore` port.

The feed's numbers come from a sequence, so a line may commit after a higher-numbered one was read: readers
look back over recent numbers again (:mod:`agent.recall.service` skips the ones it applied)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from agent.storage.postgres.db import Database
from agent.storage.recall import Change, RecallRow, RecallStore

_ROW = ("m.channel_key, m.id, m.thread, m.author_id, m.author_name, m.text, m.created_at, v.digest, v.embedder, "
        "v.vector FROM messages m LEFT JOIN recall_vectors v ON v.channel_key = m.channel_key "
        "AND v.message_id = m.id")
_SEARCHABLE = "NOT m.deleted AND NOT m.is_bot AND m.text != ''"
_KEPT = "NOT m.deleted AND m.text != ''"  # a thread's root, whoever wrote it


def _row(r: Sequence[Any]) -> RecallRow:
    return RecallRow(str(r[0]), str(r[1]), r[2], str(r[3]), str(r[4]), str(r[5]), r[6].timestamp(), r[7], r[8],
                     bytes(r[9]) if r[9] is not None else None, bool(r[10]) if len(r) > 10 else False)


def _at(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


class PostgresRecall(RecallStore):
    def __init__(self, db: Database) -> None:
        self.db = db

    async def last_change(self) -> int:
        rows = await self.db.fetch("SELECT COALESCE(MAX(seq), 0) FROM recall_log")
        return int(rows[0][0])

    async def changes(self, after: int, limit: int = 1000) -> list[Change]:
        rows = await self.db.fetch(
            "SELECT seq, chan, message_id FROM recall_log WHERE seq > %s ORDER BY seq LIMIT %s", (after, limit))
        return [Change(int(r[0]), str(r[1]), str(r[2])) for r in rows]

    async def rows(self, keys: Sequence[tuple[str, str]]) -> list[RecallRow]:
        return await self._read(keys, _ROW, _SEARCHABLE)

    async def roots(self, keys: Sequence[tuple[str, str]]) -> list[RecallRow]:
        return await self._read(keys, _ROW.replace(" FROM ", ", m.is_bot FROM ", 1), _KEPT)

    async def _read(self, keys: Sequence[tuple[str, str]], columns: str, where: str) -> list[RecallRow]:
        if not keys:
            return []
        channels, ids = zip(*dict.fromkeys(keys), strict=True)
        rows = await self.db.fetch(
            f"SELECT {columns} JOIN unnest(%s::text[], %s::text[]) AS k(channel_key, id) "
            f"ON m.channel_key = k.channel_key AND m.id = k.id WHERE {where}", (list(channels), list(ids)))
        return [_row(r) for r in rows]

    async def scan(self, after: tuple[str, str] | None, limit: int = 5000) -> list[RecallRow]:
        if after is None:
            rows = await self.db.fetch(
                f"SELECT {_ROW} WHERE {_SEARCHABLE} ORDER BY m.channel_key, m.id LIMIT %s", (limit,))
        else:
            rows = await self.db.fetch(
                f"SELECT {_ROW} WHERE (m.channel_key, m.id) > (%s, %s) AND {_SEARCHABLE} "
                "ORDER BY m.channel_key, m.id LIMIT %s", (*after, limit))
        return [_row(r) for r in rows]

    async def keep(self, vectors: Sequence[tuple[RecallRow, str, str, bytes]]) -> None:
        if not vectors:
            return
        async with self.db.transaction() as conn, conn.cursor() as cursor:
            await cursor.executemany(
                "INSERT INTO recall_vectors (channel_key, message_id, created_at, digest, embedder, vector) "
                "SELECT %(key)s, %(id)s, %(at)s, %(digest)s, %(embedder)s, %(vector)s WHERE EXISTS "
                "(SELECT 1 FROM message_keys k JOIN messages m ON m.channel_key = k.channel_key AND m.id = k.id "
                "AND m.created_at = k.created_at WHERE k.channel_key = %(key)s AND k.id = %(id)s AND NOT m.deleted) "
                "ON CONFLICT (channel_key, message_id) DO UPDATE SET digest = excluded.digest, "
                "embedder = excluded.embedder, vector = excluded.vector",
                [{"key": r.channel_key, "id": r.message_id, "at": _at(r.created_at), "digest": digest,
                  "embedder": embedder, "vector": vector} for r, digest, embedder, vector in vectors])

    async def drop(self, keys: Sequence[tuple[str, str]]) -> None:
        if keys:
            channels, ids = zip(*keys, strict=True)
            await self.db.execute(
                "DELETE FROM recall_vectors WHERE (channel_key, message_id) IN "
                "(SELECT * FROM unnest(%s::text[], %s::text[]))", (list(channels), list(ids)))

    async def trim(self, log_before: float, vectors_before: float | None = None) -> None:
        await self.db.execute("DELETE FROM recall_log WHERE at < %s", (_at(log_before),))
        if vectors_before is not None:
            await self.db.execute("DELETE FROM recall_vectors WHERE created_at < %s", (_at(vectors_before),))
