"""Spam flags, moderators' corrections and exemptions in PostgreSQL (tables ``spam_flags``,
``spam_corrections``, ``spam_exemptions``): the :class:`~agent.storage.ports.SpamStore` port."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from psycopg.types.json import Jsonb

from agent.storage.ports import AuthorAsk, AuthorRecord, FoundMessage, SpamFlag, Verdict
from agent.storage.postgres.db import Database

_FLAG_COLUMNS = "channel_key, message_id, author_id, text, score, reasons, action, created_at"


def _workspace_range(channel_key: str) -> tuple[str, str]:
    """Bounds of every channel key of the same platform and workspace (``slack:T1:`` .. ``slack:T1;``); the
    key columns use the "C" collation, so this byte range is exact (no LIKE, nothing to escape)."""
    platform, workspace, _ = channel_key.split(":", 2)
    prefix = f"{platform}:{workspace}:"
    return prefix, prefix[:-1] + ";"


# the author's latest message in the workspace before ``before`` (by time), a candidate for "posted before"
LATEST = ("SELECT m.id, m.channel_key, m.created_at FROM messages m WHERE m.author_id = %(author)s "
          "AND m.channel_key >= %(low)s AND m.channel_key < %(high)s AND m.created_at < to_timestamp(%(before)s) "
          "AND NOT m.is_bot ORDER BY m.created_at DESC LIMIT 1")
_VERDICTS = ("FROM spam_corrections WHERE author_id = %(author)s AND channel_key >= %(low)s "
             "AND channel_key < %(high)s AND created_at > %(since)s ORDER BY created_at")


def record_columns(candidates: str) -> str:
    """The select list of an author's record (:func:`record_of` reads it; :func:`record_params` fills it), "posted
    before" from the newest of ``candidates`` (rows of id, channel_key, created_at)."""
    return ("EXISTS (SELECT 1 FROM spam_exemptions WHERE channel_key = %(key)s AND author_id = %(author)s "
            "AND expires_at > %(now)s), (SELECT value FROM channel_settings WHERE channel_key = %(key)s "
            f"AND key = 'spam_policy'), ARRAY(SELECT created_at {_VERDICTS}), ARRAY(SELECT verdict {_VERDICTS}), "
            "(SELECT NOT EXISTS (SELECT 1 FROM spam_flags f WHERE f.message_id = c.id "
            f"AND f.channel_key = c.channel_key) FROM ({candidates}) c ORDER BY c.created_at DESC LIMIT 1)")


# what :func:`record_columns` asks for, as the columns of a batch's row (one per message) instead of parameters
_ASKED_AS_COLUMNS = {"%(key)s": "key", "%(author)s": "author", "%(now)s": "now_s", "%(low)s": "low",
                     "%(high)s": "high", "%(since)s": "since_s", "%(before)s": "before_s"}


def record_columns_of(candidates: str, row: str) -> str:
    """:func:`record_columns` (``candidates`` too) reading the author, channel and times from ``row``'s columns."""
    columns = record_columns(candidates)
    for param, column in _ASKED_AS_COLUMNS.items():
        columns = columns.replace(param, f"{row}.{column}")
    return columns


def record_params(channel_key: str, ask: AuthorAsk) -> dict[str, Any]:
    low, high = _workspace_range(channel_key)
    return {"key": channel_key, "author": ask.author_id, "now": ask.now, "low": low, "high": high, "since": ask.since,
            "before": -1.0 if ask.before is None else ask.before}


def record_of(row: Sequence[Any]) -> AuthorRecord:
    """The record from the columns of :func:`record_columns` (the first five of ``row``)."""
    exempt, policy, times, kinds, posted = row[:5]
    return AuthorRecord(bool(exempt), tuple((float(at), _verdict(kind)) for at, kind in zip(times, kinds, strict=True)),
                        policy, bool(posted))


class PostgresSpam:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def record_flag(self, flag: SpamFlag, *, replace: bool) -> None:
        conflict = ("DO UPDATE SET author_id = excluded.author_id, text = excluded.text, score = excluded.score, "
                    "reasons = excluded.reasons, action = excluded.action, created_at = excluded.created_at"
                    if replace else "DO NOTHING")
        await self.db.execute(
            f"INSERT INTO spam_flags ({_FLAG_COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s) "
            f"ON CONFLICT (channel_key, message_id) {conflict}",
            (flag.channel_key, flag.message_id, flag.author_id, flag.text[:4000], flag.score,
             Jsonb(list(flag.reasons)), flag.action, time.time()))

    async def author_record(self, channel_key: str, author_id: str, now: float, since: float,
                            before: float | None = None) -> AuthorRecord:
        [row] = await self.db.fetch(f"SELECT {record_columns(LATEST)}",
                                    record_params(channel_key, AuthorAsk(author_id, now, since, before)))
        return record_of(row)

    async def watched_before(self, channel_key: str, when: float) -> bool:
        low, high = _workspace_range(channel_key)
        rows = await self.db.fetch("SELECT 1 FROM messages WHERE channel_key >= %s AND channel_key < %s "
                                   "AND created_at < to_timestamp(%s) LIMIT 1", (low, high, when))
        return bool(rows)

    async def find_flagged(self, channel_key: str, message_ids: Sequence[str]) -> list[FoundMessage]:
        if not message_ids:
            return []
        low, high = _workspace_range(channel_key)
        rows = await self.db.fetch(
            "SELECT channel_key, message_id, author_id, text, reasons FROM spam_flags WHERE message_id = ANY(%s) "
            "AND channel_key >= %s AND channel_key < %s ORDER BY created_at DESC", (list(message_ids), low, high))
        return [FoundMessage(str(k), str(m), str(a), str(t), True, tuple(r)) for k, m, a, t, r in rows]

    async def find_remembered(self, channel_key: str, message_ids: Sequence[str]) -> list[FoundMessage]:
        if not message_ids:
            return []
        low, high = _workspace_range(channel_key)
        # the keys give each message's month, so the lookup probes one partition per message
        rows = await self.db.fetch(
            "SELECT m.channel_key, m.id, m.author_id, m.text FROM message_keys k JOIN messages m "
            "ON m.channel_key = k.channel_key AND m.id = k.id AND m.created_at = k.created_at "
            "WHERE k.id = ANY(%s) AND k.channel_key >= %s AND k.channel_key < %s AND NOT m.is_bot "
            "ORDER BY m.created_at DESC, m.seq DESC", (list(message_ids), low, high))
        return [FoundMessage(str(k), str(m), str(a), str(t), False) for k, m, a, t in rows]

    async def correct(self, message: FoundMessage, verdict: Verdict, by: str, now: float,
                      exempt_until: float | None = None) -> None:
        m = message
        async with self.db.transaction() as conn:
            await conn.execute(
                "INSERT INTO spam_corrections (channel_key, message_id, author_id, text, verdict, corrected_by, "
                "created_at) VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT (channel_key, message_id) DO UPDATE "
                "SET author_id = excluded.author_id, text = excluded.text, verdict = excluded.verdict, "
                "corrected_by = excluded.corrected_by, created_at = excluded.created_at",
                (m.channel_key, m.message_id, m.author_id, m.text[:4000], verdict, by, now))
            if verdict == "ham":
                await conn.execute("DELETE FROM spam_flags WHERE channel_key = %s AND message_id = %s",
                                   (m.channel_key, m.message_id))
                if exempt_until is not None:
                    await conn.execute(
                        "INSERT INTO spam_exemptions (channel_key, author_id, message_id, added_by, created_at, "
                        "expires_at) VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (channel_key, author_id) DO UPDATE "
                        "SET message_id = excluded.message_id, added_by = excluded.added_by, "
                        "created_at = excluded.created_at, expires_at = excluded.expires_at",
                        (m.channel_key, m.author_id, m.message_id, by, now, exempt_until))
            else:
                low, high = _workspace_range(m.channel_key)
                await conn.execute("DELETE FROM spam_exemptions WHERE author_id = %s AND channel_key >= %s "
                                   "AND channel_key < %s", (m.author_id, low, high))

    async def stats(self, channel_key: str) -> tuple[int, int, int]:
        [(flags, ham, spam)] = await self.db.fetch(
            "SELECT (SELECT count(*) FROM spam_flags WHERE channel_key = %(key)s), "
            "(SELECT count(*) FROM spam_corrections WHERE channel_key = %(key)s AND verdict = 'ham'), "
            "(SELECT count(*) FROM spam_corrections WHERE channel_key = %(key)s AND verdict = 'spam')",
            {"key": channel_key})
        return int(flags), int(ham), int(spam)

    async def training_examples(self) -> list[tuple[str, Verdict]]:
        rows = await self.db.fetch("SELECT text, verdict FROM spam_corrections WHERE text <> '' "
                                   "ORDER BY created_at, channel_key, message_id")
        return [(str(text), _verdict(verdict)) for text, verdict in rows]


def _verdict(value: object) -> Verdict:
    return "spam" if value == "spam" else "ham"
