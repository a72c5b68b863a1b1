"""The feedback port: answers people can rate (👍/👎) and their votes, for ``/confab feedback`` and
``confab eval feedback``.

An answer is recorded when it is sent, keyed by (channel key, the platform's id of the message that carries it);
each person has at most one vote on an answer, which a second click changes or withdraws. Both go with their
channel (:meth:`~agent.storage.ports.MessageStore.forget`) and with retention
(:meth:`~agent.storage.ports.MessageStore.prune`: an answer older than the cutoff goes with its votes).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol, runtime_checkable

VoteValue = Literal["up", "down"]
VOTES: tuple[VoteValue, ...] = ("up", "down")
# what a vote did: a first vote / another value than before / the same value again (taken back) / no such answer
VoteOutcome = Literal["recorded", "changed", "withdrawn", "unknown"]


@dataclass(frozen=True, slots=True)
class RatedAnswer:
    """An answer as it was sent: what it answered, its text, its sources and the model that wrote it."""

    channel_key: str
    message_id: str  # the platform's id of the message carrying the answer (or the key its buttons carry)
    question: str
    answer: str
    citations: tuple[str, ...]
    model: str
    created_at: float  # POSIX seconds
    thread: str | None = None


@dataclass(frozen=True, slots=True)
class RatedPair:
    """One person's vote on one answer, with the answer (an export row)."""

    answer: RatedAnswer
    vote: VoteValue
    voted_at: float


@dataclass(frozen=True, slots=True)
class FeedbackCounts:
    up: int
    down: int
    answers: int  # answers recorded (rated or not)


@runtime_checkable
class FeedbackStore(Protocol):
    async def record(self, answer: RatedAnswer) -> None:
        """Keep an answer sent (replacing one recorded under the same key: a reply posted again)."""

    async def vote(self, channel_key: str, message_id: str, voter_id: str, vote: VoteValue,
                   at: float) -> VoteOutcome:
        """The voter's vote on that answer: ``recorded`` (first), ``changed`` (the other value), ``withdrawn``
        (the same value again: the vote is removed), ``unknown`` (no such answer, e.g. forgotten: nothing is
        written)."""

    async def counts(self, channel_key: str | None = None) -> FeedbackCounts:
        """Votes up and down (and answers recorded) in one channel, or everywhere."""

    async def recent_down(self, channel_key: str | None = None, limit: int = 5) -> list[RatedAnswer]:
        """The answers most recently voted down (each once, newest vote first), in one channel or everywhere."""

    async def pairs(self, channel_keys: Sequence[str] | None = None, since: float | None = None) -> list[RatedPair]:
        """Every vote with its answer (oldest vote first), optionally only in some channels or since a time."""
