"""The scaled storage: PostgreSQL through a psycopg 3 connection pool, shared by every replica.

    db.py          the pool, advisory locks, migrations (migrations.py) under a lock
    partitions.py  monthly partitions of ``messages`` and retention that drops whole months
    messages.py    MessageStore (redeliveries absorbed by ``message_keys`` in the storing statement)
    group_commit.py  the inserts of a burst stored several to a round trip and a commit
    channel.py     ThreadStore, ChannelSettingsStore, SummaryStore, EventLedger
    spam.py        SpamStore
    ideas.py       IdeaStore (numbers assigned by the store)
    images.py      ImageLog (quota reserved under an advisory lock per author)
    feedback.py    FeedbackStore
    speech.py      SpeechQuota (seconds of audio transcribed per person)
    pending.py     PendingAnswers (added with their message by messages.py), PendingCommands, ReplyLedger

With :mod:`agent.storage.sqlite`, the only code in Confab that holds SQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from agent.storage.postgres.channel import PostgresChannelSettings, PostgresEvents, PostgresSummaries, PostgresThreads
from agent.storage.postgres.db import Connection, Database
from agent.storage.postgres.feedback import PostgresFeedback
from agent.storage.postgres.ideas import PostgresIdeas
from agent.storage.postgres.images import PostgresImages
from agent.storage.postgres.messages import OnOwed, PostgresMessages
from agent.storage.postgres.partitions import ensure_partitions
from agent.storage.postgres.pending import OnOwedCommand, PostgresPending, PostgresPendingCommands, PostgresReplies
from agent.storage.postgres.spam import PostgresSpam
from agent.storage.postgres.speech import PostgresSpeech


@dataclass(frozen=True)
class PostgresStorage:
    """:class:`~agent.storage.ports.Storage` on PostgreSQL; ``db`` is for this package (and tests)."""

    db: Database
    messages: PostgresMessages
    threads: PostgresThreads
    channel_settings: PostgresChannelSettings
    summaries: PostgresSummaries
    events: PostgresEvents
    spam: PostgresSpam
    ideas: PostgresIdeas
    images: PostgresImages
    pending: PostgresPending
    pending_commands: PostgresPendingCommands
    replies: PostgresReplies
    feedback: PostgresFeedback
    speech: PostgresSpeech

    @classmethod
    async def open(cls, url: str, on_owed: OnOwed | None = None, max_connections: int = 10,
                   on_owed_command: OnOwedCommand | None = None) -> PostgresStorage:
        """Connect, migrate (once across replicas) and make this month's partitions and the next ones.

        ``on_owed(connection, answer)`` is awaited inside the transaction that stores a message owed an
        answer, on that transaction's connection (e.g. to enqueue the answer as a job atomically with the
        ingest); if it raises, nothing is stored. ``on_owed_command(connection, command)`` likewise for a
        command recorded as owed (:meth:`PendingCommands.owe`)."""
        db = await Database.open(url, max_size=max_connections)
        try:
            await ensure_partitions(db, datetime.now(UTC))
        except BaseException:
            await db.close()
            raise
        return cls(db, PostgresMessages(db, on_owed), PostgresThreads(db), PostgresChannelSettings(db),
                   PostgresSummaries(db), PostgresEvents(db), PostgresSpam(db), PostgresIdeas(db),
                   PostgresImages(db), PostgresPending(db), PostgresPendingCommands(db, on_owed_command),
                   PostgresReplies(db), PostgresFeedback(db), PostgresSpeech(db))

    async def close(self) -> None:
        await self.db.close()


__all__ = ["Connection", "Database", "OnOwed", "OnOwedCommand", "PostgresStorage"]
