"""What both storage backends read back the same way: rows in the column order they select, turned into the
ports' values (and the one value format they share, an idea's vector as float32 bytes). No SQL here."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import numpy as np

from agent.storage.feedback import RatedAnswer, RatedPair, VoteValue
from agent.storage.ports import Idea, PendingAnswer, PendingCommand, ReplyState

Row = Sequence[Any]

# brainstorm_ideas, in the order ideas_from_rows reads them
IDEA_COLUMNS = "number, text, author, message_id, votes, merged, vector"


def platform_bounds(platform: str) -> tuple[str, str]:
    """Channel keys of a platform (``slack:…``) sort from ``slack:`` up to (not including) ``slack;``."""
    return f"{platform}:", f"{platform};"


def platform_of(channel_key: str) -> str:
    """The platform a channel key belongs to (``slack`` of ``slack:T1:C1``)."""
    return channel_key.partition(":")[0]


def vector_bytes(vector: np.ndarray) -> bytes:
    return np.asarray(vector, dtype=np.float32).tobytes()


def ideas_from_rows(rows: Sequence[Row]) -> tuple[list[Idea], np.ndarray]:
    """Rows of :data:`IDEA_COLUMNS`: the ideas, and their vectors stacked (shape ``(0, 0)`` when none)."""
    if not rows:
        return [], np.zeros((0, 0), dtype=np.float32)
    ideas = [Idea(int(r[0]), str(r[1]), str(r[2]), str(r[3]), int(r[4]), int(r[5])) for r in rows]
    return ideas, np.vstack([np.frombuffer(r[6], dtype=np.float32) for r in rows])


def pending_answer(row: Row) -> PendingAnswer:
    """(channel key, message id, payload, created at, note)."""
    return PendingAnswer(row[0], row[1], row[2], float(row[3]), row[4])


def pending_command(row: Row) -> PendingCommand:
    """(channel key, command id, payload, route, created at)."""
    return PendingCommand(row[0], row[1], row[2], row[3], float(row[4]))


def reply_state(claimed: bool, found: Sequence[Row]) -> tuple[ReplyState, str | None]:
    """The ledger's answer to a claim: ``claimed`` when this attempt inserted the record, else the record
    ``found`` (its message id, None while no delivery was recorded)."""
    if claimed:
        return "new", None
    if found and found[0][0] is not None:
        return "done", str(found[0][0])
    return "retry", None


# feedback_answers, in the order rated_from_row reads them
RATED_COLUMNS = "channel_key, message_id, thread, question, answer, citations, model, created_at"


def rated_params(answer: RatedAnswer) -> tuple[Any, ...]:
    """A :class:`RatedAnswer` as the values of :data:`RATED_COLUMNS`."""
    return (answer.channel_key, answer.message_id, answer.thread, answer.question, answer.answer,
            json.dumps(list(answer.citations), ensure_ascii=False), answer.model, answer.created_at)


def rated_from_row(row: Row) -> RatedAnswer:
    """A row of :data:`RATED_COLUMNS`."""
    try:
        citations = tuple(str(c) for c in json.loads(row[5]))
    except (TypeError, ValueError):
        citations = ()
    return RatedAnswer(str(row[0]), str(row[1]), str(row[3]), str(row[4]), citations, str(row[6]), float(row[7]),
                       thread=str(row[2]) if row[2] else None)


def pair_from_row(row: Row) -> RatedPair:
    """A row of :data:`RATED_COLUMNS` followed by the vote and its time."""
    vote: VoteValue = "up" if row[8] == "up" else "down"
    return RatedPair(rated_from_row(row), vote, float(row[9]))
