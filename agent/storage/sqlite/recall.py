"""Conversation search's tables in SQLite (``recall_vectors``, ``recall_log``): the
:class:`~agent.storage.recall.RecallStore` port."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from agent.storage.recall import Change, RecallRow, RecallStore
from agent.storage.sqlite.db import Database

_ROW = ("m.channel_key, m.id, m.thread, m.author_id, m.author_name, m.text, m.created_at, v.digest, v.embedder, "
        "v.vector FROM messages m LEFT JOIN recall_vectors v ON v.channel_key = m.channel_key "
        "AND v.message_id = m.id")
_SEARCHABLE = "m.deleted = 0 AND m.is_bot = 0 AND m.text != ''"
_KEPT = "m.deleted = 0 AND m.text != ''"  # a thread's root, whoever wrote it
_CHUNK = 400  # keys per read (SQLite's bound parameters)


def _row(r: Sequence[Any]) -> RecallRow:
    return RecallRow(str(r[0]), str(r[1]), r[2], str(r[3]), str(r[4]), str(r[5]), float(r[6]), r[7], r[8],
                     bytes(r[9]) if r[9] is not None else None, bool(r[10]) if len(r) > 10 else False)


class SqliteRecall(RecallStore):
    def __init__(self, db: Database) -> None:
        self.db = db

    async def last_change(self) -> int:
        rows = await self.db.fetch("SELECT COALESCE(MAX(seq), 0) FROM recall_log")
        return int(rows[0][0])

    async def changes(self, after: int, limit: int = 1000) -> list[Change]:
        rows = await self.db.fetch(
            "SELECT seq, chan, message_id FROM recall_log WHERE seq > ? ORDER BY seq LIMIT ?", (after, limit))
        return [Change(int(r[0]), str(r[1]), str(r[2])) for r in rows]

    async def rows(self, keys: Sequence[tuple[str, str]]) -> list[RecallRow]:
        return await self._read(keys, _ROW, _SEARCHABLE)

    async def roots(self, keys: Sequence[tuple[str, str]]) -> list[RecallRow]:
        return await self._read(keys, _ROW.replace(" FROM ", ", m.is_bot FROM ", 1), _KEPT)

    async def _read(self, keys: Sequence[tuple[str, str]], columns: str, where: str) -> list[RecallRow]:
        found: list[RecallRow] = []
        unique = list(dict.fromkeys(keys))
        for start in range(0, len(unique), _CHUNK):
            part = unique[start:start + _CHUNK]
            pairs = " OR ".join("(m.channel_key = ? AND m.id = ?)" for _ in part)
            rows = await self.db.fetch(f"SELECT {columns} WHERE ({pairs}) AND {where}",
                                       [value for key in part for value in key])
            found.extend(_row(r) for r in rows)
        return found

    async def scan(self, after: tuple[str, str] | None, limit: int = 5000) -> list[RecallRow]:
        where, params = ("(m.channel_key, m.id) > (?, ?) AND ", list(after)) if after else ("", [])
        rows = await self.db.fetch(
            f"SELECT {_ROW} WHERE {where}{_SEARCHABLE} ORDER BY m.channel_key, m.id LIMIT ?", (*params, limit))
        return [_row(r) for r in rows]

    async def keep(self, vectors: Sequence[tuple[RecallRow, str, str, bytes]]) -> None:
        await self.db.write_many(
            "INSERT OR REPLACE INTO recall_vectors (channel_key, message_id, created_at, digest, embedder, vector) "
            "SELECT ?, ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM messages WHERE channel_key = ? AND id = ? "
            "AND deleted = 0)",
            [(r.channel_key, r.message_id, r.created_at, digest, embedder, vector, r.channel_key, r.message_id)
             for r, digest, embedder, vector in vectors])

    async def drop(self, keys: Sequence[tuple[str, str]]) -> None:
        await self.db.write_many("DELETE FROM recall_vectors WHERE channel_key = ? AND message_id = ?", list(keys))

    async def trim(self, log_before: float, vectors_before: float | None = None) -> None:
        await self.db.write("DELETE FROM recall_log WHERE at < ?", (log_before,))
        if vectors_before is not None:
            await self.db.write("DELETE FROM recall_vectors WHERE created_at < ?", (vectors_before,))
