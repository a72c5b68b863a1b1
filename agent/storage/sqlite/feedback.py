"""Feedback on answers in SQLite (tables ``feedback_answers``, ``feedback_votes``): the
:class:`~agent.storage.feedback.FeedbackStore` port."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from agent.storage.feedback import FeedbackCounts, RatedAnswer, RatedPair, VoteOutcome, VoteValue
from agent.storage.rows import RATED_COLUMNS, pair_from_row, rated_from_row, rated_params
from agent.storage.sqlite.db import Database

_A = ", ".join(f"a.{c}" for c in RATED_COLUMNS.split(", "))


class SqliteFeedback:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def record(self, answer: RatedAnswer) -> None:
        await self.db.write(
            f"INSERT OR REPLACE INTO feedback_answers ({RATED_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            rated_params(answer))

    async def vote(self, channel_key: str, message_id: str, voter_id: str, vote: VoteValue,
                   at: float) -> VoteOutcome:
        rows = await self.db.fetch(
            "SELECT v.vote FROM feedback_answers a LEFT JOIN feedback_votes v ON v.channel_key = a.channel_key "
            "AND v.message_id = a.message_id AND v.voter_id = ? WHERE a.channel_key = ? AND a.message_id = ?",
            (voter_id, channel_key, message_id))
        if not rows:
            return "unknown"
        before = rows[0][0]
        # one transaction in the single writer: the same value again is taken back, else it is written (only
        # while the answer is still there: a /forget in between leaves no orphan vote)
        withdrawn = await self.db.write_together([
            ("DELETE FROM feedback_votes WHERE channel_key = ? AND message_id = ? AND voter_id = ? AND vote = ?",
             (channel_key, message_id, voter_id, vote)),
            ("INSERT INTO feedback_votes (channel_key, message_id, voter_id, vote, voted_at) SELECT ?, ?, ?, ?, ? "
             "WHERE changes() = 0 AND EXISTS (SELECT 1 FROM feedback_answers WHERE channel_key = ? "
             "AND message_id = ?) ON CONFLICT (channel_key, message_id, voter_id) DO UPDATE SET "
             "vote = excluded.vote, voted_at = excluded.voted_at",
             (channel_key, message_id, voter_id, vote, at, channel_key, message_id))])
        if withdrawn:
            return "withdrawn"
        return "changed" if before is not None and before != vote else "recorded"

    async def counts(self, channel_key: str | None = None) -> FeedbackCounts:
        where, params = ("WHERE channel_key = ?", (channel_key,)) if channel_key is not None else ("", ())
        [(up, down)] = await self.db.fetch(
            "SELECT COALESCE(SUM(vote = 'up'), 0), COALESCE(SUM(vote = 'down'), 0) FROM feedback_votes " + where,
            params)
        [(answers,)] = await self.db.fetch("SELECT COUNT(*) FROM feedback_answers " + where, params)
        return FeedbackCounts(int(up), int(down), int(answers))

    async def recent_down(self, channel_key: str | None = None, limit: int = 5) -> list[RatedAnswer]:
        where, params = ("AND a.channel_key = ?", (channel_key,)) if channel_key is not None else ("", ())
        rows = await self.db.fetch(
            f"SELECT {_A}, MAX(v.voted_at) AS last FROM feedback_answers a JOIN feedback_votes v "
            "ON v.channel_key = a.channel_key AND v.message_id = a.message_id "
            f"WHERE v.vote = 'down' {where} GROUP BY a.channel_key, a.message_id ORDER BY last DESC LIMIT ?",
            (*params, limit))
        return [rated_from_row(r) for r in rows]

    async def pairs(self, channel_keys: Sequence[str] | None = None, since: float | None = None) -> list[RatedPair]:
        clauses: list[str] = []
        params: list[Any] = []
        if channel_keys is not None:
            clauses.append(f"a.channel_key IN ({', '.join('?' for _ in channel_keys)})" if channel_keys else "0")
            params.extend(channel_keys)
        if since is not None:
            clauses.append("v.voted_at >= ?")
            params.append(since)
        where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
        rows = await self.db.fetch(
            f"SELECT {_A}, v.vote, v.voted_at FROM feedback_votes v JOIN feedback_answers a "
            f"ON a.channel_key = v.channel_key AND a.message_id = v.message_id {where} "
            "ORDER BY v.voted_at, v.rowid", params)
        return [pair_from_row(r) for r in rows]
