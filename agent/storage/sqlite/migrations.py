"""Numbered SQLite schema migrations, applied in order and recorded in ``schema_migrations``.

Append new migrations with the next free number; never edit one that has shipped. Numbers may
have gaps (features reserve theirs); each is applied once, in ascending order, in one transaction.
"""

from __future__ import annotations

MIGRATIONS: dict[int, str] = {
    1: """
    CREATE TABLE messages (
        channel_key TEXT NOT NULL,
        id          TEXT NOT NULL,
        thread      TEXT,
        author_id   TEXT NOT NULL,
        author_name TEXT NOT NULL,
        text        TEXT NOT NULL,
        created_at  REAL NOT NULL,
        is_bot      INTEGER NOT NULL DEFAULT 0,
        edited_at   REAL,
        deleted     INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (channel_key, id)
    );
    CREATE INDEX messages_by_time ON messages (channel_key, created_at);
    CREATE INDEX messages_by_thread ON messages (channel_key, thread, created_at);
    CREATE INDEX messages_by_age ON messages (created_at);

    CREATE TABLE followed_threads (
        channel_key   TEXT NOT NULL,
        thread        TEXT NOT NULL,
        kind          TEXT NOT NULL,
        started_at    REAL NOT NULL,
        last_activity REAL NOT NULL,
        data          TEXT NOT NULL DEFAULT '{}',
        PRIMARY KEY (channel_key, thread)
    );

    CREATE TABLE channel_settings (
        channel_key TEXT NOT NULL,
        key         TEXT NOT NULL,
        value       TEXT NOT NULL,
        PRIMARY KEY (channel_key, key)
    );

    CREATE TABLE summaries (
        channel_key TEXT NOT NULL,
        thread      TEXT NOT NULL DEFAULT '',
        text        TEXT NOT NULL,
        upto        REAL NOT NULL,
        updated_at  REAL NOT NULL,
        PRIMARY KEY (channel_key, thread)
    );

    CREATE TABLE processed_events (
        event_id TEXT PRIMARY KEY,
        seen_at  REAL NOT NULL
    );
    CREATE INDEX processed_events_by_age ON processed_events (seen_at);
    """,
    2: """
    CREATE TABLE spam_flags (
        channel_key TEXT NOT NULL,
        message_id  TEXT NOT NULL,
        author_id   TEXT NOT NULL,
        text        TEXT NOT NULL,
        score       REAL NOT NULL,
        reasons     TEXT NOT NULL,
        action      TEXT NOT NULL,
        created_at  REAL NOT NULL,
        PRIMARY KEY (channel_key, message_id)
    );
    CREATE TABLE spam_corrections (
        channel_key TEXT NOT NULL,
        message_id  TEXT NOT NULL,
        author_id   TEXT NOT NULL,
        text        TEXT NOT NULL,
        verdict     TEXT NOT NULL,
        corrected_by TEXT NOT NULL,
        created_at  REAL NOT NULL,
        PRIMARY KEY (channel_key, message_id)
    );
    CREATE TABLE spam_allowlist (
        workspace   TEXT NOT NULL,
        author_id   TEXT NOT NULL,
        added_by    TEXT NOT NULL,
        created_at  REAL NOT NULL,
        PRIMARY KEY (workspace, author_id)
    );
    """,
    3: """
    CREATE TABLE image_generations (
        channel_key TEXT NOT NULL,
        thread      TEXT NOT NULL DEFAULT '',
        author_id   TEXT NOT NULL,
        prompt      TEXT NOT NULL,
        file        TEXT NOT NULL,
        created_at  REAL NOT NULL
    );
    CREATE INDEX image_generations_by_author ON image_generations (author_id, created_at);
    CREATE INDEX image_generations_by_thread ON image_generations (channel_key, thread, created_at);
    """,
    4: """
    CREATE TABLE brainstorm_ideas (
        channel_key TEXT NOT NULL,
        thread      TEXT NOT NULL,
        number      INTEGER NOT NULL,
        text        TEXT NOT NULL,
        author      TEXT NOT NULL,
        message_id  TEXT NOT NULL,
        votes       INTEGER NOT NULL DEFAULT 0,
        merged      INTEGER NOT NULL DEFAULT 0,
        vector      BLOB NOT NULL,
        PRIMARY KEY (channel_key, thread, number)
    );
    """,
    # 11: spam corrections are scoped: a "not spam" verdict exempts its author in one channel until it
    # expires (the old workspace-wide, never-expiring allow-list is dropped; its verdicts stay in
    # spam_corrections, where they still lower that author's risk and train the model)
    11: """
    CREATE TABLE spam_exemptions (
        channel_key TEXT NOT NULL,
        author_id   TEXT NOT NULL,
        message_id  TEXT NOT NULL,
        added_by    TEXT NOT NULL,
        created_at  REAL NOT NULL,
        expires_at  REAL NOT NULL,
        PRIMARY KEY (channel_key, author_id)
    );
    CREATE INDEX spam_exemptions_by_author ON spam_exemptions (author_id);
    CREATE INDEX spam_corrections_by_author ON spam_corrections (author_id, created_at);
    CREATE INDEX spam_flags_by_message ON spam_flags (message_id);
    DROP TABLE spam_allowlist;
    """,
    # 12: answers owed: stored with the message that asks (one transaction), removed when answered, so a
    # crash between a platform's acknowledgement and the answer is resumed at the next start
    12: """
    CREATE TABLE pending_answers (
        channel_key TEXT NOT NULL,
        message_id  TEXT NOT NULL,
        payload     TEXT NOT NULL,
        created_at  REAL NOT NULL,
        note        TEXT,
        PRIMARY KEY (channel_key, message_id)
    );
    CREATE INDEX pending_answers_by_age ON pending_answers (created_at);
    """,
    # 13: command answers owed (slash commands, shortcuts, Discord interactions): recorded as they are
    # acknowledged, with the platform's way back to the asker (a response URL or interaction token),
    # deleted when the replies were delivered, so a restart can answer them while that way still works
    13: """
    CREATE TABLE pending_commands (
        channel_key TEXT NOT NULL,
        command_id  TEXT NOT NULL,
        payload     TEXT NOT NULL,
        route       TEXT NOT NULL,
        created_at  REAL NOT NULL,
        PRIMARY KEY (channel_key, command_id)
    );
    CREATE INDEX pending_commands_by_age ON pending_commands (created_at);
    """,
    # 14: an answer owed is kept on its message's row (one INSERT stores both, no transaction of two
    # statements on the hot path); a deleted question is no longer owed an answer
    14: """
    DROP TABLE pending_answers;
    ALTER TABLE messages ADD COLUMN owed TEXT;
    ALTER TABLE messages ADD COLUMN owed_at REAL;
    ALTER TABLE messages ADD COLUMN owed_note TEXT;
    CREATE INDEX messages_owed ON messages (owed_at) WHERE owed IS NOT NULL;
    """,
    # 15: the reply ledger: a reply claimed before it is posted and marked delivered after (ports.ReplyLedger)
    15: """
    CREATE TABLE replies (
        source      TEXT PRIMARY KEY,
        channel_key TEXT NOT NULL,
        claimed_at  REAL NOT NULL,
        message_id  TEXT
    );
    CREATE INDEX replies_by_age ON replies (claimed_at);
    CREATE INDEX replies_by_channel ON replies (channel_key);
    """,
    # 16: the spam screen still owed to a stored message (what it needs beyond the row, as JSON), cleared once
    # screened: a process that dies between a platform's acknowledgement and the screen leaves it for the next
    16: """
    ALTER TABLE messages ADD COLUMN unscreened TEXT;
    CREATE INDEX messages_unscreened ON messages (created_at) WHERE unscreened IS NOT NULL;
    """,
    # 17: feedback on answers (agent/storage/feedback.py): each answer as it was sent, keyed by the platform's
    # message id, and one vote per person per answer; both forgotten with their channel, pruned with retention
    17: """
    CREATE TABLE feedback_answers (
        channel_key TEXT NOT NULL,
        message_id  TEXT NOT NULL,
        thread      TEXT,
        question    TEXT NOT NULL,
        answer      TEXT NOT NULL,
        citations   TEXT NOT NULL,
        model       TEXT NOT NULL,
        created_at  REAL NOT NULL,
        PRIMARY KEY (channel_key, message_id)
    );
    CREATE INDEX feedback_answers_by_age ON feedback_answers (created_at);
    CREATE TABLE feedback_votes (
        channel_key TEXT NOT NULL,
        message_id  TEXT NOT NULL,
        voter_id    TEXT NOT NULL,
        vote        TEXT NOT NULL CHECK (vote IN ('up', 'down')),
        voted_at    REAL NOT NULL,
        PRIMARY KEY (channel_key, message_id, voter_id)
    );
    CREATE INDEX feedback_votes_by_time ON feedback_votes (voted_at);
    """,
    # 18: seconds of audio transcribed per person (agent/speech): the daily allowance, reserved before transcribing
    18: """
    CREATE TABLE speech_usage (
        author_id  TEXT NOT NULL,
        seconds    REAL NOT NULL,
        created_at REAL NOT NULL
    );
    CREATE INDEX speech_usage_by_author ON speech_usage (author_id, created_at);
    """,
    # 19: an author's latest message, for the spam screen's "posted here before" (ports.AuthorRecord)
    19: """
    CREATE INDEX messages_by_author ON messages (author_id, created_at);
    """,
    # 20: conversation search (agent/storage/recall.py): each searchable message's vector beside it, and a change
    # feed the triggers fill as people's messages are stored, edited, deleted, forgotten or pruned
    20: """
    CREATE TABLE recall_vectors (
        channel_key TEXT NOT NULL,
        message_id  TEXT NOT NULL,
        created_at  REAL NOT NULL,
        digest      TEXT NOT NULL,
        embedder    TEXT NOT NULL,
        vector      BLOB NOT NULL,
        PRIMARY KEY (channel_key, message_id)
    );
    CREATE INDEX recall_vectors_by_age ON recall_vectors (created_at);
    CREATE TABLE recall_log (
        seq        INTEGER PRIMARY KEY AUTOINCREMENT,
        chan       TEXT NOT NULL,
        message_id TEXT NOT NULL,
        at         REAL NOT NULL
    );
    CREATE INDEX recall_log_by_age ON recall_log (at);
    CREATE TRIGGER recall_stored AFTER INSERT ON messages WHEN NEW.is_bot = 0 BEGIN
        INSERT INTO recall_log (chan, message_id, at)
        VALUES (NEW.channel_key, NEW.id, (julianday('now') - 2440587.5) * 86400.0);
    END;
    CREATE TRIGGER recall_changed AFTER UPDATE OF text, deleted ON messages WHEN NEW.is_bot = 0 BEGIN
        INSERT INTO recall_log (chan, message_id, at)
        VALUES (NEW.channel_key, NEW.id, (julianday('now') - 2440587.5) * 86400.0);
    END;
    CREATE TRIGGER recall_removed AFTER DELETE ON messages WHEN OLD.is_bot = 0 BEGIN
        INSERT INTO recall_log (chan, message_id, at)
        VALUES (OLD.channel_key, OLD.id, (julianday('now') - 2440587.5) * 86400.0);
    END;
    """,
    # 21: scheduled digests (agent/storage/digests.py): one schedule per channel (forgotten with it), the next run
    # in UTC claimed by compare-and-set (then a lease's end, with the run in hand), and where the next window starts
    21: """
    CREATE TABLE digest_schedules (
        channel_key TEXT NOT NULL PRIMARY KEY,
        kind        TEXT NOT NULL CHECK (kind IN ('daily', 'weekly')),
        at_time     TEXT NOT NULL,
        weekday     INTEGER CHECK (weekday BETWEEN 0 AND 6),
        zone        TEXT NOT NULL,
        next_run    REAL NOT NULL,
        since       REAL,
        created_by  TEXT NOT NULL,
        created_at  REAL NOT NULL,
        run_of      REAL
    );
    CREATE INDEX digest_schedules_by_next_run ON digest_schedules (next_run);
    """,
}
