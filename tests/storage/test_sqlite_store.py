"""The SQLite storage: messages, channel state, the single writer and migrations."""

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from agent.memory.models import StoredMessage
from agent.storage.sqlite import SqliteStorage


def msg(i: int, channel: str = "c", thread: str | None = None, when: datetime | None = None) -> StoredMessage:
    return StoredMessage(channel, str(i), "u1", "alice", f"message {i}", when or datetime.now(UTC), thread=thread)


@pytest.fixture
async def store(tmp_path: Path):
    s = await SqliteStorage.open(tmp_path / "m.db")
    yield s
    await s.close()


async def test_add_is_dedupe(store: SqliteStorage) -> None:
    assert await store.messages.add(msg(1))
    assert not await store.messages.add(msg(1))
    assert await store.messages.count("c") == 1


async def test_edit_delete_and_recent(store: SqliteStorage) -> None:
    for i in range(5):
        await store.messages.add(msg(i))
    await store.messages.edit("c", "2", "edited text", datetime.now(UTC))
    await store.messages.delete("c", "3")
    recent = await store.messages.recent("c", limit=10)
    assert [m.id for m in recent] == ["0", "1", "2", "4"]
    assert recent[2].text == "edited text" and recent[2].edited_at is not None
    deleted = await store.messages.get("c", "3")
    assert deleted is not None and deleted.deleted and deleted.text == ""


async def test_thread_history_includes_root(store: SqliteStorage) -> None:
    await store.messages.add(msg(1))
    await store.messages.add(msg(2, thread="1"))
    await store.messages.add(msg(3))
    assert [m.id for m in await store.messages.recent("c", thread="1")] == ["1", "2"]


async def test_forget_clears_only_that_channel(store: SqliteStorage) -> None:
    await store.messages.add(msg(1, "a"))
    await store.messages.add(msg(2, "b"))
    await store.channel_settings.set("a", "spam_policy", "off")
    await store.threads.follow("a", "1")
    assert await store.messages.forget("a") == 1
    assert await store.messages.count("a") == 0 and await store.messages.count("b") == 1
    assert await store.channel_settings.get("a", "spam_policy") is None
    assert await store.threads.followed("a", "1") is None


async def test_forget_reaches_feature_tables(store: SqliteStorage) -> None:
    """Any table keyed by channel (features add their own) is cleared with the channel, in one go."""
    await store.db.write("CREATE TABLE feature_rows (channel_key TEXT, note TEXT)")
    await store.db.write_many("INSERT INTO feature_rows VALUES (?, ?)", [("a", "x"), ("b", "y")])
    await store.messages.add(msg(1, "a"))
    assert await store.messages.forget("a") == 1
    assert await store.db.fetch("SELECT channel_key FROM feature_rows") == [("b",)]


async def test_a_failing_group_write_changes_nothing(store: SqliteStorage) -> None:
    await store.messages.add(msg(1, "a"))
    with pytest.raises(Exception, match="write failed"):
        await store.db.write_together([("DELETE FROM messages WHERE channel_key = ?", ("a",)),
                                    ("DELETE FROM no_such_table", ())])
    assert await store.messages.count("a") == 1


async def test_retention_prunes_old_messages(store: SqliteStorage) -> None:
    await store.messages.add(msg(1, when=datetime.now(UTC) - timedelta(days=40)))
    await store.messages.add(msg(2))
    assert await store.messages.prune(30) == 1
    assert [m.id for m in await store.messages.recent("c")] == ["2"]
    assert await store.messages.prune(0) == 0


async def test_threads_settings_summaries_and_events(store: SqliteStorage) -> None:
    await store.threads.follow("c", "9", kind="brainstorm", data={"topic": "names"})
    kind, data, _ = await store.threads.followed("c", "9")  # type: ignore[misc]
    assert kind == "brainstorm" and data == {"topic": "names"}
    await store.threads.touch("c", "9", {"topic": "names", "ideas": 1})
    assert (await store.threads.followed("c", "9"))[1]["ideas"] == 1  # type: ignore[index]
    assert await store.threads.unfollow("c", "9")
    await store.channel_settings.set("c", "k", {"a": 1})
    assert await store.channel_settings.get("c", "k") == {"a": 1}
    await store.summaries.set("c", "so far", datetime.now(UTC))
    assert (await store.summaries.get("c"))[0] == "so far"  # type: ignore[index]
    assert await store.events.first_delivery("Ev1") and not await store.events.first_delivery("Ev1")


async def test_concurrent_writers_lose_nothing(store: SqliteStorage) -> None:
    async def channel(c: int) -> None:
        for i in range(25):
            await store.messages.add(msg(i, channel=f"ch{c}"))

    await asyncio.gather(*(channel(c) for c in range(200)))
    assert await store.messages.count() == 5000


async def test_reopen_keeps_data_and_applies_migrations_once(tmp_path: Path) -> None:
    s = await SqliteStorage.open(tmp_path / "m.db")
    await s.messages.add(msg(1))
    await s.close()
    s = await SqliteStorage.open(tmp_path / "m.db")
    try:
        rows = await s.db.fetch("SELECT version FROM schema_migrations")
        assert len(rows) == len({r[0] for r in rows}) >= 1
        assert await s.messages.count() == 1
        mode = await s.db.fetch("PRAGMA journal_mode")
        assert mode[0][0] == "wal"
    finally:
        await s.close()


async def test_failed_write_does_not_lose_the_batch(store: SqliteStorage) -> None:
    good = [store.messages.add(msg(i)) for i in range(10)]
    bad = store.db.write("INSERT INTO no_such_table VALUES (?)", (1,))
    results = await asyncio.gather(*good, bad, return_exceptions=True)
    assert all(r is True for r in results[:10]) and isinstance(results[10], Exception)
    assert await store.messages.count() == 10


async def test_unwritable_database_is_a_clear_error(tmp_path: Path) -> None:
    from agent.errors import StorageError

    (tmp_path / "file").write_text("x")
    with pytest.raises(StorageError, match="cannot open"):
        await SqliteStorage.open(tmp_path / "file" / "m.db")


async def test_corrections_are_read_for_training(store: SqliteStorage, tmp_path: Path) -> None:
    """Training (``python -m agent.classify.train --corrections data/confab.db``) reads moderators' corrections
    from the SQLite file, while Confab may have it open."""
    import time

    from agent.classify.train import read_corrections
    from agent.storage.ports import FoundMessage

    await store.spam.correct(FoundMessage("slack:T1:C1", "m1", "u1", "win a prize now", True), "spam", "mod",
                             time.time())
    await store.spam.correct(FoundMessage("slack:T1:C1", "m2", "u2", "lunch?", False), "ham", "mod", time.time())
    assert await read_corrections(str(tmp_path / "m.db")) == (["win a prize now", "lunch?"], [1, 0])


async def test_a_small_read_that_finds_the_database_busy_goes_to_the_reader_thread(store: SqliteStorage) -> None:
    """The per-message reads run on the loop's own connection without waiting for locks (busy_timeout 0): one
    that finds the database busy (a rare WAL moment) is read again on the reader thread, where waiting is fine;
    any other error is raised."""
    import sqlite3

    await store.messages.add(msg(1))
    db = store.db
    inline = db._inline_db
    assert inline is not None and inline.execute("PRAGMA busy_timeout").fetchone()[0] == 0

    class Busy:
        def __init__(self, error: str) -> None:
            self.error = error

        def execute(self, *args: object) -> None:
            raise sqlite3.OperationalError(self.error)

    try:
        db._inline_db = Busy("database is locked")  # type: ignore[assignment]
        context, _ = await store.messages.context("c", limit=5)
        assert [m.id for m in context] == ["1"]
        db._inline_db = Busy("no such table: messages")  # type: ignore[assignment]
        with pytest.raises(sqlite3.OperationalError, match="no such table"):
            await store.messages.context("c", limit=5)
    finally:
        db._inline_db = inline
