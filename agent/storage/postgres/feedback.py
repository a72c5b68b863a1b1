"""Feedback on answers in PostgreSQL (tables ``feedback_answers``, ``feedback_votes``): the
:class:`~agent.storage.feedback.FeedbackStore` port. A vote locks its answer's row, so two clicks of one person
(on any replicas) are applied one after the other."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, LiteralString

from agent.storage.feedback import FeedbackCounts, RatedAnswer, RatedPair, VoteOutcome, VoteValue
from agent.storage.postgres.db import Database
from agent.storage.rows import RATED_COLUMNS, pair_from_row, rated_from_row, rated_params

_COLUMNS: LiteralString = "channel_key, message_id, thread, question, answer, citations, model, created_at"
_A: LiteralString = ("a.channel_key, a.message_id, a.thread, a.question, a.answer, a.citations, a.model, "
                     "a.created_at")
assert _COLUMNS == RATED_COLUMNS  # the order rated_from_row reads


class PostgresFeedback:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def record(self, answer: RatedAnswer) -> None:
        await self.db.execute(
            f"INSERT INTO feedback_answers ({_COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s) "
            "ON CONFLICT (channel_key, message_id) DO UPDATE SET thread = excluded.thread, "
            "question = excluded.question, answer = excluded.answer, citations = excluded.citations, "
            "model = excluded.model, created_at = excluded.created_at", rated_params(answer))

    async def vote(self, channel_key: str, message_id: str, voter_id: str, vote: VoteValue,
                   at: float) -> VoteOutcome:
        async with self.db.transaction() as conn:
            found = await (await conn.execute(
                "SELECT 1 FROM feedback_answers WHERE channel_key = %s AND message_id = %s FOR UPDATE",
                (channel_key, message_id))).fetchone()
            if found is None:
                return "unknown"
            row = await (await conn.execute(
                "SELECT vote FROM feedback_votes WHERE channel_key = %s AND message_id = %s AND voter_id = %s",
                (channel_key, message_id, voter_id))).fetchone()
            before = row[0] if row else None
            if before == vote:  # the same button again: taken back
                await conn.execute(
                    "DELETE FROM feedback_votes WHERE channel_key = %s AND message_id = %s AND voter_id = %s",
                    (channel_key, message_id, voter_id))
                return "withdrawn"
            await conn.execute(
                "INSERT INTO feedback_votes (channel_key, message_id, voter_id, vote, voted_at) "
                "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (channel_key, message_id, voter_id) "
                "DO UPDATE SET vote = excluded.vote, voted_at = excluded.voted_at",
                (channel_key, message_id, voter_id, vote, at))
            return "recorded" if before is None else "changed"

    async def counts(self, channel_key: str | None = None) -> FeedbackCounts:
        if channel_key is None:
            votes = await self.db.fetch("SELECT count(*) FILTER (WHERE vote = 'up'), "
                                        "count(*) FILTER (WHERE vote = 'down') FROM feedback_votes")
            answers = await self.db.fetch("SELECT count(*) FROM feedback_answers")
        else:
            votes = await self.db.fetch("SELECT count(*) FILTER (WHERE vote = 'up'), count(*) FILTER "
                                        "(WHERE vote = 'down') FROM feedback_votes WHERE channel_key = %s",
                                        (channel_key,))
            answers = await self.db.fetch("SELECT count(*) FROM feedback_answers WHERE channel_key = %s",
                                          (channel_key,))
        return FeedbackCounts(int(votes[0][0]), int(votes[0][1]), int(answers[0][0]))

    async def recent_down(self, channel_key: str | None = None, limit: int = 5) -> list[RatedAnswer]:
        rows = await self.db.fetch(
            f"SELECT {_A}, max(v.voted_at) AS last FROM feedback_answers a JOIN feedback_votes v "
            "ON v.channel_key = a.channel_key AND v.message_id = a.message_id "
            "WHERE v.vote = 'down' AND (%(key)s::text IS NULL OR a.channel_key = %(key)s::text) "
            "GROUP BY a.channel_key, a.message_id ORDER BY last DESC LIMIT %(limit)s",
            {"key": channel_key, "limit": limit})
        return [rated_from_row(r) for r in rows]

    async def pairs(self, channel_keys: Sequence[str] | None = None, since: float | None = None) -> list[RatedPair]:
        params: dict[str, Any] = {"all": channel_keys is None, "keys": list(channel_keys or []), "since": since}
        rows = await self.db.fetch(
            f"SELECT {_A}, v.vote, v.voted_at FROM feedback_votes v JOIN feedback_answers a "
            "ON a.channel_key = v.channel_key AND a.message_id = v.message_id "
            "WHERE (%(all)s OR a.channel_key = ANY(%(keys)s::text[])) "
            "AND (%(since)s::float8 IS NULL OR v.voted_at >= %(since)s::float8) "
            "ORDER BY v.voted_at, v.channel_key, v.message_id, v.voter_id", params)
        return [pair_from_row(r) for r in rows]
