"""Spam flags, moderators' corrections and exemptions in SQLite (tables ``spam_flags``,
``spam_corrections``, ``spam_exemptions``): the :class:`~agent.storage.ports.SpamStore` port, and the
synchronous read of corrections that ``python -m agent.classify.train --corrections`` trains on."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from typing import Any

from agent.storage.ports import AuthorAsk, AuthorRecord, FoundMessage, SpamFlag, Verdict
from agent.storage.sqlite.db import Database


def _workspace_range(channel_key: str) -> tuple[str, str]:
    """Bounds of every channel key of the same platform and workspace (``slack:T1:`` .. ``slack:T1;``)."""
    platform, workspace, _ = channel_key.split(":", 2)
    prefix = f"{platform}:{workspace}:"
    return prefix, prefix[:-1] + ";"


async def read_author_record(db: Database, channel_key: str, ask: AuthorAsk) -> AuthorRecord:
    """:meth:`SpamStore.author_record` (messages.py reads it too, after storing a message)."""
    low, high = _workspace_range(channel_key)
    rows = await db.fetch_small(  # one author's, within a time window: a few rows, on every message
        "SELECT 'exempt', expires_at FROM spam_exemptions WHERE channel_key = ? AND author_id = ? "
        "AND expires_at > ? UNION ALL SELECT verdict, created_at FROM spam_corrections WHERE author_id = ? "
        "AND channel_key >= ? AND channel_key < ? AND created_at > ? UNION ALL SELECT 'policy', value "
        "FROM channel_settings WHERE channel_key = ? AND key = 'spam_policy' UNION ALL SELECT 'posted', "
        "NOT EXISTS (SELECT 1 FROM spam_flags f WHERE f.message_id = m.id AND f.channel_key = m.channel_key) "
        "FROM (SELECT id, channel_key FROM messages WHERE author_id = ? AND channel_key >= ? AND channel_key < ? "
        "AND created_at < ? AND NOT is_bot ORDER BY created_at DESC LIMIT 1) m",
        (channel_key, ask.author_id, ask.now, ask.author_id, low, high, ask.since, channel_key,
         ask.author_id, low, high, -1.0 if ask.before is None else ask.before))
    exempt = any(kind == "exempt" for kind, _ in rows)
    policy = next((json.loads(value) for kind, value in rows if kind == "policy"), None)
    posted = any(kind == "posted" and bool(value) for kind, value in rows)
    verdicts = tuple((float(at), _verdict(kind)) for kind, at in rows if kind not in ("exempt", "policy", "posted"))
    return AuthorRecord(exempt, verdicts, policy, posted)


class SqliteSpam:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def record_flag(self, flag: SpamFlag, *, replace: bool) -> None:
        conflict = "REPLACE" if replace else "IGNORE"
        await self.db.write(
            f"INSERT OR {conflict} INTO spam_flags (channel_key, message_id, author_id, text, score, reasons, "
            "action, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (flag.channel_key, flag.message_id, flag.author_id, flag.text[:4000], flag.score,
             json.dumps(list(flag.reasons)), flag.action, time.time()))

    async def author_record(self, channel_key: str, author_id: str, now: float, since: float,
                            before: float | None = None) -> AuthorRecord:
        return await read_author_record(self.db, channel_key, AuthorAsk(author_id, now, since, before))

    async def watched_before(self, channel_key: str, when: float) -> bool:
        low, high = _workspace_range(channel_key)
        rows = await self.db.fetch_small("SELECT 1 FROM messages WHERE channel_key >= ? AND channel_key < ? "
                                         "AND created_at < ? LIMIT 1", (low, high, when))
        return bool(rows)

    async def find_flagged(self, channel_key: str, message_ids: Sequence[str]) -> list[FoundMessage]:
        if not message_ids:
            return []
        low, high = _workspace_range(channel_key)
        marks = ", ".join("?" * len(message_ids))
        rows = await self.db.fetch(
            f"SELECT channel_key, message_id, author_id, text, reasons, created_at FROM spam_flags "
            f"WHERE message_id IN ({marks}) AND channel_key >= ? AND channel_key < ?", (*message_ids, low, high))
        return [FoundMessage(str(k), str(m), str(a), str(t), True, tuple(json.loads(str(r)))) for k, m, a, t, r, _
                in sorted(rows, key=lambda row: -float(row[5]))]

    async def find_remembered(self, channel_key: str, message_ids: Sequence[str]) -> list[FoundMessage]:
        if not message_ids:
            return []
        low, high = _workspace_range(channel_key)
        marks = ", ".join("?" * len(message_ids))
        rows = await self.db.fetch(
            f"SELECT channel_key, id, author_id, text, created_at FROM messages "
            f"WHERE id IN ({marks}) AND channel_key >= ? AND channel_key < ? AND is_bot = 0",
            (*message_ids, low, high))
        return [FoundMessage(str(k), str(m), str(a), str(t), False) for k, m, a, t, _
                in sorted(rows, key=lambda row: -float(row[4]))]

    async def correct(self, message: FoundMessage, verdict: Verdict, by: str, now: float,
                      exempt_until: float | None = None) -> None:
        statements: list[tuple[str, Sequence[Any]]] = [(
            "INSERT OR REPLACE INTO spam_corrections (channel_key, message_id, author_id, text, verdict, "
            "corrected_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (message.channel_key, message.message_id, message.author_id, message.text[:4000], verdict, by, now))]
        if verdict == "ham":
            statements.append(("DELETE FROM spam_flags WHERE channel_key = ? AND message_id = ?",
                               (message.channel_key, message.message_id)))
            if exempt_until is not None:
                statements.append((
                    "INSERT INTO spam_exemptions (channel_key, author_id, message_id, added_by, created_at, "
                    "expires_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (channel_key, author_id) DO UPDATE SET "
                    "message_id = excluded.message_id, added_by = excluded.added_by, "
                    "created_at = excluded.created_at, expires_at = excluded.expires_at",
                    (message.channel_key, message.author_id, message.message_id, by, now, exempt_until)))
        else:
            low, high = _workspace_range(message.channel_key)
            statements.append(("DELETE FROM spam_exemptions WHERE author_id = ? AND channel_key >= ? "
                               "AND channel_key < ?", (message.author_id, low, high)))
        await self.db.write_together(statements)

    async def stats(self, channel_key: str) -> tuple[int, int, int]:
        rows = await self.db.fetch(
            "SELECT 'flags', COUNT(*) FROM spam_flags WHERE channel_key = ? UNION ALL "
            "SELECT verdict, COUNT(*) FROM spam_corrections WHERE channel_key = ? GROUP BY verdict",
            (channel_key, channel_key))
        counts = {str(k): int(v) for k, v in rows}
        return counts.get("flags", 0), counts.get("ham", 0), counts.get("spam", 0)

    async def training_examples(self) -> list[tuple[str, Verdict]]:
        rows = await self.db.fetch("SELECT text, verdict FROM spam_corrections WHERE text != '' ORDER BY rowid")
        return [(str(text), _verdict(verdict)) for text, verdict in rows]


def _verdict(value: object) -> Verdict:
    return "spam" if value == "spam" else "ham"
