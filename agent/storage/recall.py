"""The recall port: what conversation search (:mod:`agent.recall`) keeps beside the messages.

Two tables per backend, both written only here and in the backends' migrations:

- ``recall_vectors``: each searchable message's embedding, keyed like the message, with the digest of the text
  it was computed from and the embedder's name (a vector of older words or of another embedder is not used).
  It has a ``channel_key`` column, so ``/forget`` removes a channel's vectors with the rest of the channel.
- ``recall_log``: a change feed filled by database triggers on ``messages`` (a person's message stored,
  edited, deleted, forgotten or pruned row by row): every process follows it by number and applies the change
  to its in-memory index, whichever process (or replica) made it. Its channel column is named ``chan`` on
  purpose: ``/forget`` must leave the log lines saying the channel's messages went.

Retention that drops whole months of messages (PostgreSQL) fires no trigger: the index drops what is older
than the retention period by itself, and :meth:`RecallStore.trim` removes the old vectors.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable


@dataclass(frozen=True, slots=True)
class RecallRow:
    """A searchable message (a person's, not deleted, with text) and its stored vector, if any."""

    channel_key: str
    message_id: str
    thread: str | None
    author_id: str
    author_name: str
    text: str
    created_at: float  # POSIX seconds
    digest: str | None = None  # of the text the stored vector was computed from
    embedder: str | None = None
    vector: bytes | None = None  # float32, little-endian
    by_bot: bool = False  # Confab's own message (only :meth:`RecallStore.roots` reads those)


@dataclass(frozen=True, slots=True)
class Change:
    """A line of the change feed: that message was stored, edited or removed (read the row to know which)."""

    seq: int
    channel_key: str
    message_id: str


@runtime_checkable
class RecallStore(Protocol):
    async def last_change(self) -> int:
        """The number of the newest line of the change feed (0 when empty)."""

    async def changes(self, after: int, limit: int = 1000) -> list[Change]:
        """Lines of the change feed numbered above ``after``, in order."""

    async def rows(self, keys: Sequence[tuple[str, str]]) -> list[RecallRow]:
        """Those messages as they are now, with their stored vectors; a message gone, deleted, empty or the bot's
        is left out."""

    async def roots(self, keys: Sequence[tuple[str, str]]) -> list[RecallRow]:
        """Those messages (threads' roots) as they are now, with their stored vectors, whoever wrote them: Confab's
        own too (``by_bot``); a message gone, deleted or empty is left out."""

    async def scan(self, after: tuple[str, str] | None, limit: int = 5000) -> list[RecallRow]:
        """Every searchable message in (channel key, id) order, a page at a time, after that key."""

    async def keep(self, vectors: Sequence[tuple[RecallRow, str, str, bytes]]) -> None:
        """Store (row, digest, embedder, vector) for each message, replacing an older vector."""

    async def drop(self, keys: Sequence[tuple[str, str]]) -> None:
        """Remove the vectors of those messages (gone, deleted or emptied)."""

    async def trim(self, log_before: float, vectors_before: float | None = None) -> None:
        """Remove change-feed lines older than ``log_before`` and, with retention, vectors of messages older
        than ``vectors_before`` (POSIX seconds)."""

