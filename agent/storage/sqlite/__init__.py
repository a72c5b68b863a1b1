"""The embedded storage: one SQLite file (WAL, one writer thread, reads through aiosqlite or, the small ones every
message makes, on the event loop; numbered migrations).

    db.py          connections, the single writer (group commit), migrations (migrations.py)
    messages.py    MessageStore
    channel.py     ThreadStore, ChannelSettingsStore, SummaryStore, EventLedger
    spam.py        SpamStore (and the synchronous read of corrections for training)
    ideas.py       IdeaStore
    images.py      ImageLog
    feedback.py    FeedbackStore
    speech.py      SpeechQuota (seconds of audio transcribed per person)
    pending.py     PendingAnswers (added with their message by messages.py), PendingCommands, ReplyLedger

With :mod:`agent.storage.postgres`, the only code in Confab that holds SQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from agent.storage.sqlite.channel import SqliteChannelSettings, SqliteEvents, SqliteSummaries, SqliteThreads
from agent.storage.sqlite.db import Database
from agent.storage.sqlite.feedback import SqliteFeedback
from agent.storage.sqlite.ideas import SqliteIdeas
from agent.storage.sqlite.images import SqliteImages
from agent.storage.sqlite.messages import SqliteMessages
from agent.storage.sqlite.pending import SqlitePending, SqlitePendingCommands, SqliteReplies
from agent.storage.sqlite.spam import SqliteSpam
from agent.storage.sqlite.speech import SqliteSpeech


@dataclass(frozen=True)
class SqliteStorage:
    """:class:`~agent.storage.ports.Storage` on one SQLite file; ``db`` is for this package (and tests)."""

    db: Database
    messages: SqliteMessages
    threads: SqliteThreads
    channel_settings: SqliteChannelSettings
    summaries: SqliteSummaries
    events: SqliteEvents
    spam: SqliteSpam
    ideas: SqliteIdeas
    images: SqliteImages
    pending: SqlitePending
    pending_commands: SqlitePendingCommands
    replies: SqliteReplies
    feedback: SqliteFeedback
    speech: SqliteSpeech

    @classmethod
    async def open(cls, path: Path | str) -> SqliteStorage:
        db = await Database.open(path)
        return cls(db, SqliteMessages(db), SqliteThreads(db), SqliteChannelSettings(db), SqliteSummaries(db),
                   SqliteEvents(db), SqliteSpam(db), SqliteIdeas(db), SqliteImages(db), SqlitePending(db),
                   SqlitePendingCommands(db), SqliteReplies(db), SqliteFeedback(db), SqliteSpeech(db))

    async def close(self) -> None:
        await self.db.close()


__all__ = ["Database", "SqliteStorage"]
