"""Test helpers: a tiny deterministic embedder and message builders."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from agent.memory.models import StoredMessage
from tests.fakes.embedder import HashEmbedder

__all__ = ["HashEmbedder", "msgs"]


def msgs(*lines: str, start: datetime | None = None, channel: str = "test:T1:general") -> list[StoredMessage]:
    """``"alice: text"`` lines as stored messages, one minute apart."""
    start = start or datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    out = []
    for i, line in enumerate(lines):
        author, _, text = line.partition(": ")
        out.append(StoredMessage(channel_key=channel, id=f"m{i + 1}", author_id=author, author_name=author,
                                 text=text, created_at=start + timedelta(minutes=i)))
    return out
