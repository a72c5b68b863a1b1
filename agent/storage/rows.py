"""What both storage backends read back the same way: rows in the column order they select, turned into the
ports' values (and the one value format they share, an idea's vector as float32 bytes). No SQL here."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from agent.storage.ports import Idea, PendingAnswer, PendingCommand, ReplyState

Row = Sequence[Any]

# brainstorm_ideas, in the order ideas_from_rows reads them
IDEA_COLUMNS = "number, text, author, message_id, votes, merged, vector"


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
