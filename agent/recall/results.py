"""What a conversation search returns (:meth:`agent.recall.service.RecallService.search`), for
:mod:`agent.recall.answer` to write up."""

from __future__ import annotations

from dataclasses import dataclass

from agent.recall.access import Visibility
from agent.recall.rows import Entry


@dataclass(frozen=True, slots=True)
class RecallHit:
    entry: Entry
    visibility: Visibility
    similarity: float
    decision: bool  # the message states a decision (shown first when the question asks for one)
    settled: Entry | None = None  # the hit asked something, and this later reply settled it (agent/recall/settling.py)
    root: Entry | None = None  # found by its thread's topic: the root that names it (agent/recall/topics.py)


@dataclass(frozen=True, slots=True)
class RecallResult:
    hits: list[RecallHit]
    hidden: int  # more matches, in places the asker may read but this reply may not quote
    searched: int  # channels searched for this reply
    refused: int  # channels of the workspace the asker (or Confab) may not read, or that could not be checked
    author: str | None = None  # only this person's messages were searched (as the reply names them)
    unknown_author: bool = False  # ... and no channel the asker may read has a message by them
    newest: bool = False  # no topic was asked: the person's most recent lines
