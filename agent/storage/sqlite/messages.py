"""Messages in SQLite (table ``messages``): the :class:`~agent.storage.ports.MessageStore` port."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from agent.memory.models import StoredMessage
from agent.storage.ports import AuthorAsk, Intake, PendingAnswer
from agent.storage.rows import platform_bounds
from agent.storage.sqlite.db import Database
from agent.storage.sqlite.spam import read_author_record

log = logging.getLogger(__name__)

_COLUMNS = "channel_key, id, thread, author_id, author_name, text, created_at, is_bot, edited_at, deleted"


def ts(value: datetime | None) -> float | None:
    return value.timestamp() if value is not None else None


def dt(value: float | None) -> datetime | None:
    return datetime.fromtimestamp(value, UTC) if value is not None else None


def _row_to_message(row: Sequence[Any]) -> StoredMessage:
    return StoredMessage(
        channel_key=row[0], id=row[1], thread=row[2], author_id=row[3], author_name=row[4], text=row[5],
        created_at=dt(row[6]) or datetime.now(UTC), is_bot=bool(row[7]), edited_at=dt(row[8]),
        deleted=bool(row[9]),
    )


def _window(channel_key: str, thread: str | None, since: datetime | None = None,
            until: datetime | None = None) -> tuple[str, list[Any]]:
    where = "channel_key = ?"
    params: list[Any] = [channel_key]
    if thread is not None:
        where += " AND (thread = ? OR id = ?)"
        params += [thread, thread]
    if since is not None:
        where += " AND created_at >= ?"
        params.append(ts(since))
    if until is not None:
        where += " AND created_at <= ?"
        params.append(ts(until))
    return where, params


def adding(message: StoredMessage, owed: PendingAnswer | None = None,
           screen: str | None = None) -> tuple[str, tuple[Any, ...]]:
    """The statement storing a message. The answer owed (if any) and the spam screen still to run ride on the
    message's own row: one statement stores them all, and a duplicate delivery (ignored) owes nothing new."""
    m = message
    return (f"INSERT OR IGNORE INTO messages ({_COLUMNS}, owed, owed_at, owed_note, unscreened) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (m.channel_key, m.id, m.thread, m.author_id, m.author_name, m.text, ts(m.created_at), int(m.is_bot),
             ts(m.edited_at), int(m.deleted), owed.payload if owed else None, owed.created_at if owed else None,
             owed.note if owed else None, screen))


class SqliteMessages:
    def __init__(self, db: Database, on_forget: Callable[[str], None] = lambda _key: None) -> None:
        self.db = db
        self._on_forget = on_forget  # other repositories' caches of a channel

    async def add(self, message: StoredMessage, owed: PendingAnswer | None = None, screen: str | None = None) -> bool:
        return await self.db.write(*adding(message, owed, screen)) > 0

    async def add_screened(self, message: StoredMessage, screen: str, ask: AuthorAsk,
                           unless_on: str | None = None) -> Intake:
        """In process (one owns the file) the three steps need no single statement: the setting, the add, the read."""
        if unless_on is not None:
            rows = await self.db.fetch("SELECT value FROM channel_settings WHERE channel_key = ? AND key = ?",
                                       (message.channel_key, unless_on))
            if rows and json.loads(rows[0][0]) == "on":
                return Intake(False, held=True)
        if not await self.add(message, screen=screen):
            return Intake(False)
        return Intake(True, record=await read_author_record(self.db, message.channel_key, ask))

    async def screened(self, keys: Sequence[tuple[str, str, datetime]]) -> None:
        await self.db.write_many("UPDATE messages SET unscreened = NULL WHERE channel_key = ? AND id = ?",
                                 [(key, message_id) for key, message_id, _ in keys])

    async def unscreened(self, before: datetime, platforms: Sequence[str], limit: int = 100,
                         lease_s: float = 300.0) -> list[tuple[StoredMessage, str]]:
        """One process owns an SQLite file: nothing else screens at the same time, so there is no lease."""
        if not platforms:
            return []
        where = " OR ".join("(channel_key >= ? AND channel_key < ?)" for _ in platforms)
        rows = await self.db.fetch(
            f"SELECT {_COLUMNS}, unscreened FROM messages WHERE unscreened IS NOT NULL AND created_at < ? "
            f"AND ({where}) ORDER BY created_at, rowid LIMIT ?",
            (ts(before), *(bound for p in platforms for bound in platform_bounds(p)), limit))
        return [(_row_to_message(r), str(r[10])) for r in rows]

    async def edit(self, channel_key: str, message_id: str, text: str, edited_at: datetime) -> bool:
        count = await self.db.write(
            "UPDATE messages SET text = ?, edited_at = ? WHERE channel_key = ? AND id = ? AND deleted = 0",
            (text, ts(edited_at), channel_key, message_id),
        )
        return count > 0

    async def delete(self, channel_key: str, message_id: str) -> bool:
        count = await self.db.write(
            "UPDATE messages SET text = '', deleted = 1, owed = NULL, owed_note = NULL, unscreened = NULL "
            "WHERE channel_key = ? AND id = ?", (channel_key, message_id)
        )
        return count > 0

    async def get(self, channel_key: str, message_id: str) -> StoredMessage | None:
        rows = await self.db.fetch(
            f"SELECT {_COLUMNS} FROM messages WHERE channel_key = ? AND id = ?", (channel_key, message_id)
        )
        return _row_to_message(rows[0]) if rows else None

    async def recent(self, channel_key: str, limit: int = 20, thread: str | None = None,
                     include_deleted: bool = False) -> list[StoredMessage]:
        where, params = _window(channel_key, thread)
        if not include_deleted:
            where += " AND deleted = 0"
        return await self._newest(where, params, limit)

    async def context(self, channel_key: str, limit: int = 20, thread: str | None = None
                      ) -> tuple[list[StoredMessage], tuple[str, datetime] | None]:
        where, params = _window(channel_key, thread)
        rows = await self.db.fetch_small(  # at most limit + 1 rows: the newest messages, then the summary (kind 1)
            f"SELECT * FROM (SELECT 0, {_COLUMNS}, rowid FROM messages WHERE {where} AND deleted = 0 "
            "ORDER BY created_at DESC, rowid DESC LIMIT ?) UNION ALL SELECT 1, channel_key, '', thread, '', '', "
            "text, upto, 0, NULL, 0, 0 FROM summaries WHERE channel_key = ? AND thread = ?",
            (*params, limit, channel_key, thread or ""))
        said = sorted((r for r in rows if r[0] == 0), key=lambda r: (r[7], r[11]))
        summary = next(((str(r[6]), dt(r[7]) or datetime.now(UTC)) for r in rows if r[0] == 1), None)
        return [_row_to_message(r[1:]) for r in said], summary

    async def history(self, channel_key: str, since: datetime | None = None, until: datetime | None = None,
                      thread: str | None = None, limit: int = 20000) -> list[StoredMessage]:
        where, params = _window(channel_key, thread, since, until)
        return await self._newest(where + " AND deleted = 0", params, limit)

    async def _newest(self, where: str, params: list[Any], limit: int) -> list[StoredMessage]:
        rows = await self.db.fetch(
            f"SELECT {_COLUMNS} FROM messages WHERE {where} ORDER BY created_at DESC, rowid DESC LIMIT ?",
            (*params, limit),
        )
        return [_row_to_message(r) for r in reversed(rows)]

    async def count(self, channel_key: str | None = None) -> int:
        if channel_key is None:
            rows = await self.db.fetch("SELECT COUNT(*) FROM messages")
        else:
            rows = await self.db.fetch("SELECT COUNT(*) FROM messages WHERE channel_key = ?", (channel_key,))
        return int(rows[0][0])

    async def count_said(self, channel_key: str, thread: str | None = None, since: datetime | None = None,
                         until: datetime | None = None) -> int:
        where, params = _window(channel_key, thread, since, until)
        rows = await self.db.fetch(
            f"SELECT COUNT(*) FROM messages WHERE {where} AND deleted = 0 AND is_bot = 0 AND text != ''",
            params)
        return int(rows[0][0])

    async def deleted_ids(self, channel_key: str) -> set[str]:
        rows = await self.db.fetch("SELECT id FROM messages WHERE channel_key = ? AND deleted = 1", (channel_key,))
        return {str(row[0]) for row in rows}

    async def forget(self, channel_key: str) -> int:
        tables = [t for t in await self.db.tables_with_column("channel_key") if t != "messages"]
        removed = await self.db.write_together(
            [("DELETE FROM messages WHERE channel_key = ?", (channel_key,))]
            + [(f'DELETE FROM "{table}" WHERE channel_key = ?', (channel_key,)) for table in tables]
        )
        self._on_forget(channel_key)
        return removed

    async def prune(self, older_than_days: int) -> int:
        if older_than_days <= 0:
            return 0
        cutoff = time.time() - older_than_days * 86400
        # an answer still owed keeps its question until resumed or let go (resume.py)
        removed = await self.db.write("DELETE FROM messages WHERE created_at < ? AND owed IS NULL", (cutoff,))
        await self.db.write("DELETE FROM processed_events WHERE seen_at < ?", (cutoff,))
        await self.db.write("DELETE FROM replies WHERE claimed_at < ?", (cutoff,))
        # every answered mention follows its thread; one nobody came back to in that long is let go
        await self.db.write("DELETE FROM followed_threads WHERE last_activity < ?", (cutoff,))
        # answers people rated go with the rest of what was said then, their votes with them
        await self.db.write_together([
            ("DELETE FROM feedback_votes WHERE (channel_key, message_id) IN (SELECT channel_key, message_id "
             "FROM feedback_answers WHERE created_at < ?)", (cutoff,)),
            ("DELETE FROM feedback_answers WHERE created_at < ?", (cutoff,))])
        if removed:
            log.info("pruned old messages", extra={"removed": removed, "days": older_than_days})
        return removed
