"""Numbered PostgreSQL schema migrations, applied in order under an advisory lock and recorded in
``schema_migrations`` (see :func:`agent.storage.postgres.db.migrate`).

Append new migrations with the next free number; never edit one that has shipped. Each is applied once, in
one transaction. Channel keys (and the ids compared with them) use the "C" collation, so the workspace of a
key is a plain byte range (``slack:T1:`` .. ``slack:T1;``) whatever the database's locale.

Messages are partitioned by month of ``created_at`` (:mod:`agent.storage.postgres.partitions`), and a
primary key on a partitioned table must contain the partition key. Redeliveries are absorbed by the small,
unpartitioned ``message_keys`` table instead, keyed by (channel, id) alone: the port's contract is that a
(channel, id) is stored once whatever timestamp a redelivery carries, and a key table also lets a lookup by
id find its partition (``created_at``) in one index probe. Its rows are narrow and pruned with the messages.
``seq`` (a sequence, since PostgreSQL 15 has no identity columns on partitioned tables) orders messages of
the same time: the one stored last counts as newer.
"""

from __future__ import annotations

from typing import LiteralString

MIGRATIONS: dict[int, LiteralString] = {
    1: """
    CREATE TABLE message_keys (
        channel_key text COLLATE "C" NOT NULL,
        id          text COLLATE "C" NOT NULL,
        created_at  timestamptz NOT NULL,
        PRIMARY KEY (channel_key, id)
    );
    CREATE INDEX message_keys_by_age ON message_keys (created_at);

    CREATE SEQUENCE messages_seq;
    CREATE TABLE messages (
        channel_key text COLLATE "C" NOT NULL,
        id          text COLLATE "C" NOT NULL,
        thread      text COLLATE "C",
        author_id   text NOT NULL,
        author_name text NOT NULL,
        text        text NOT NULL,
        created_at  timestamptz NOT NULL,
        is_bot      boolean NOT NULL DEFAULT false,
        edited_at   timestamptz,
        deleted     boolean NOT NULL DEFAULT false,
        seq         bigint NOT NULL DEFAULT nextval('messages_seq'),
        PRIMARY KEY (channel_key, id, created_at)
    ) PARTITION BY RANGE (created_at);
    CREATE TABLE messages_default PARTITION OF messages DEFAULT;
    CREATE INDEX messages_by_time ON messages (channel_key, created_at, seq);
    CREATE INDEX messages_by_thread ON messages (channel_key, thread, created_at, seq);
    CREATE INDEX messages_by_age ON messages (created_at);  -- retention's batches in a partly expired month

    CREATE TABLE pending_answers (
        channel_key text COLLATE "C" NOT NULL,
        message_id  text COLLATE "C" NOT NULL,
        message_at  timestamptz NOT NULL,
        payload     text NOT NULL,
        created_at  double precision NOT NULL,
        note        text,
        PRIMARY KEY (channel_key, message_id)
    );
    CREATE INDEX pending_answers_by_age ON pending_answers (created_at);

    CREATE TABLE pending_commands (
        channel_key text COLLATE "C" NOT NULL,
        command_id  text NOT NULL,
        payload     text NOT NULL,
        route       text NOT NULL,
        created_at  double precision NOT NULL,
        PRIMARY KEY (channel_key, command_id)
    );
    CREATE INDEX pending_commands_by_age ON pending_commands (created_at);

    CREATE TABLE followed_threads (
        channel_key   text COLLATE "C" NOT NULL,
        thread        text NOT NULL,
        kind          text NOT NULL,
        started_at    timestamptz NOT NULL,
        last_activity timestamptz NOT NULL,
        data          jsonb NOT NULL DEFAULT '{}',
        PRIMARY KEY (channel_key, thread)
    );

    CREATE TABLE channel_settings (
        channel_key text COLLATE "C" NOT NULL,
        key         text NOT NULL,
        value       jsonb NOT NULL,
        PRIMARY KEY (channel_key, key)
    );

    CREATE TABLE summaries (
        channel_key text COLLATE "C" NOT NULL,
        thread      text NOT NULL DEFAULT '',
        text        text NOT NULL,
        upto        timestamptz NOT NULL,
        updated_at  timestamptz NOT NULL,
        PRIMARY KEY (channel_key, thread)
    );

    CREATE TABLE processed_events (
        event_id text PRIMARY KEY,
        seen_at  double precision NOT NULL
    );
    CREATE INDEX processed_events_by_age ON processed_events (seen_at);

    CREATE TABLE spam_flags (
        channel_key text COLLATE "C" NOT NULL,
        message_id  text COLLATE "C" NOT NULL,
        author_id   text NOT NULL,
        text        text NOT NULL,
        score       double precision NOT NULL,
        reasons     jsonb NOT NULL,
        action      text NOT NULL,
        created_at  double precision NOT NULL,
        PRIMARY KEY (channel_key, message_id)
    );
    CREATE INDEX spam_flags_by_message ON spam_flags (message_id);

    CREATE TABLE spam_corrections (
        channel_key  text COLLATE "C" NOT NULL,
        message_id   text COLLATE "C" NOT NULL,
        author_id    text NOT NULL,
        text         text NOT NULL,
        verdict      text NOT NULL,
        corrected_by text NOT NULL,
        created_at   double precision NOT NULL,
        PRIMARY KEY (channel_key, message_id)
    );
    CREATE INDEX spam_corrections_by_author ON spam_corrections (author_id, created_at);

    CREATE TABLE spam_exemptions (
        channel_key text COLLATE "C" NOT NULL,
        author_id   text NOT NULL,
        message_id  text NOT NULL,
        added_by    text NOT NULL,
        created_at  double precision NOT NULL,
        expires_at  double precision NOT NULL,
        PRIMARY KEY (channel_key, author_id)
    );
    CREATE INDEX spam_exemptions_by_author ON spam_exemptions (author_id);

    CREATE TABLE image_generations (
        id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        channel_key text COLLATE "C" NOT NULL,
        thread      text NOT NULL DEFAULT '',
        author_id   text NOT NULL,
        prompt      text NOT NULL,
        file        text NOT NULL DEFAULT '',
        created_at  double precision NOT NULL
    );
    CREATE INDEX image_generations_by_author ON image_generations (author_id, created_at);
    CREATE INDEX image_generations_by_thread ON image_generations (channel_key, thread, created_at);

    CREATE TABLE brainstorm_counters (
        channel_key text COLLATE "C" NOT NULL,
        thread      text NOT NULL,
        last_number integer NOT NULL,
        PRIMARY KEY (channel_key, thread)
    );
    CREATE TABLE brainstorm_ideas (
        channel_key text COLLATE "C" NOT NULL,
        thread      text NOT NULL,
        number      integer NOT NULL,
        text        text NOT NULL,
        author      text NOT NULL,
        message_id  text NOT NULL,
        votes       integer NOT NULL DEFAULT 0,
        merged      integer NOT NULL DEFAULT 0,
        vector      bytea NOT NULL,
        PRIMARY KEY (channel_key, thread, number)
    );
    """,
    # 2: the reply ledger: a reply claimed before it is posted and marked delivered after (ports.ReplyLedger)
    2: """
    CREATE TABLE replies (
        source      text COLLATE "C" PRIMARY KEY,
        channel_key text COLLATE "C" NOT NULL,
        claimed_at  double precision NOT NULL,
        message_id  text
    );
    CREATE INDEX replies_by_age ON replies (claimed_at);
    CREATE INDEX replies_by_channel ON replies (channel_key);
    """,
    # 3: the spam screen still owed to a stored message (what it needs beyond the row, as JSON), cleared once
    # screened; a worker takes what a dead replica left (leased, so two workers never screen the same message)
    3: """
    ALTER TABLE messages ADD COLUMN unscreened text;
    ALTER TABLE messages ADD COLUMN screen_lease timestamptz;
    CREATE INDEX messages_unscreened ON messages (created_at) WHERE unscreened IS NOT NULL;
    """,
    # 4: feedback on answers (agent/storage/feedback.py): each answer as it was sent, keyed by the platform's
    # message id, and one vote per person per answer; both forgotten with their channel, pruned with retention
    4: """
    CREATE TABLE feedback_answers (
        channel_key text COLLATE "C" NOT NULL,
        message_id  text COLLATE "C" NOT NULL,
        thread      text,
        question    text NOT NULL,
        answer      text NOT NULL,
        citations   text NOT NULL,
        model       text NOT NULL,
        created_at  double precision NOT NULL,
        PRIMARY KEY (channel_key, message_id)
    );
    CREATE INDEX feedback_answers_by_age ON feedback_answers (created_at);
    CREATE TABLE feedback_votes (
        channel_key text COLLATE "C" NOT NULL,
        message_id  text COLLATE "C" NOT NULL,
        voter_id    text COLLATE "C" NOT NULL,
        vote        text NOT NULL CHECK (vote IN ('up', 'down')),
        voted_at    double precision NOT NULL,
        PRIMARY KEY (channel_key, message_id, voter_id)
    );
    CREATE INDEX feedback_votes_by_time ON feedback_votes (voted_at);
    """,
    # 5: seconds of audio transcribed per person (agent/speech): the daily allowance, reserved before transcribing
    5: """
    CREATE TABLE speech_usage (
        id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        author_id  text COLLATE "C" NOT NULL,
        seconds    double precision NOT NULL,
        created_at double precision NOT NULL
    );
    CREATE INDEX speech_usage_by_author ON speech_usage (author_id, created_at);
    """,
    # 6: an author's latest message, for the spam screen's "posted here before" (ports.AuthorRecord)
    6: """
    CREATE INDEX messages_by_author ON messages (author_id, created_at);
    """,
    # 7: conversation search (agent/storage/recall.py): each searchable message's vector beside it, and a change
    # feed a trigger fills as people's messages are stored, edited, deleted or forgotten (dropping a month of
    # partitions fires nothing: the index ages out what retention removes by itself)
    7: """
    CREATE TABLE recall_vectors (
        channel_key text COLLATE "C" NOT NULL,
        message_id  text COLLATE "C" NOT NULL,
        created_at  timestamptz NOT NULL,
        digest      text NOT NULL,
        embedder    text NOT NULL,
        vector      bytea NOT NULL,
        PRIMARY KEY (channel_key, message_id)
    );
    CREATE INDEX recall_vectors_by_age ON recall_vectors (created_at);
    CREATE TABLE recall_log (
        seq        bigserial PRIMARY KEY,
        chan       text COLLATE "C" NOT NULL,
        message_id text COLLATE "C" NOT NULL,
        at         timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX recall_log_by_age ON recall_log (at);
    CREATE FUNCTION recall_log_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'DELETE' THEN
            IF NOT OLD.is_bot THEN
                INSERT INTO recall_log (chan, message_id) VALUES (OLD.channel_key, OLD.id);
            END IF;
            RETURN OLD;
        END IF;
        IF NOT NEW.is_bot THEN
            INSERT INTO recall_log (chan, message_id) VALUES (NEW.channel_key, NEW.id);
        END IF;
        RETURN NEW;
    END $$;
    CREATE TRIGGER recall_log_change AFTER INSERT OR UPDATE OF text, deleted OR DELETE ON messages
        FOR EACH ROW EXECUTE FUNCTION recall_log_change();
    """,
    # 8: scheduled digests (agent/storage/digests.py): one schedule per channel (forgotten with it), the next run
    # in UTC claimed by compare-and-set (then a lease's end, with the run in hand), and where the next window starts
    8: """
    CREATE TABLE digest_schedules (
        channel_key text COLLATE "C" NOT NULL PRIMARY KEY,
        kind        text NOT NULL CHECK (kind IN ('daily', 'weekly')),
        at_time     text NOT NULL,
        weekday     integer CHECK (weekday BETWEEN 0 AND 6),
        zone        text NOT NULL,
        next_run    double precision NOT NULL,
        since       double precision,
        created_by  text NOT NULL,
        created_at  double precision NOT NULL,
        run_of      double precision
    );
    CREATE INDEX digest_schedules_by_next_run ON digest_schedules (next_run);
    """,
}
