import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from agent.memory.models import StoredMessage
from agent.memory.store import MemoryStore


def msg(i: int, channel: str = "c", thread: str | None = None, when: datetime | None = None) -> StoredMessage:
    return StoredMessage(channel, str(i), "u1", "alice", f"message {i}", when or datetime.now(UTC), thread=thread)


@pytest.fixture
async def store(tmp_path: Path):
    s = await MemoryStore.open(tmp_path / "m.db")
    yield s
    await s.close()


async def test_add_is_dedupe(store: MemoryStore) -> None:
    assert await store.add_message(msg(1))
    assert not await store.add_message(msg(1))
    assert await store.count_messages("c") == 1


async def test_edit_delete_and_recent(store: MemoryStore) -> None:
    for i in range(5):
        await store.add_message(msg(i))
    await store.edit_message("c", "2", "edited text", datetime.now(UTC))
    await store.delete_message("c", "3")
    recent = await store.recent("c", limit=10)
    assert [m.id for m in recent] == ["0", "1", "2", "4"]
    assert recent[2].text == "edited text" and recent[2].edited_at is not None
    deleted = await store.get_message("c", "3")
    assert deleted is not None and deleted.deleted and deleted.text == ""


async def test_thread_history_includes_root(store: MemoryStore) -> None:
    await store.add_message(msg(1))
    await store.add_message(msg(2, thread="1"))
    await store.add_message(msg(3))
    assert [m.id for m in await store.recent("c", thread="1")] == ["1", "2"]


async def test_forget_clears_only_that_channel(store: MemoryStore) -> None:
    await store.add_message(msg(1, "a"))
    await store.add_message(msg(2, "b"))
    await store.set_setting("a", "spam_policy", "off")
    await store.follow_thread("a", "1")
    assert await store.forget_channel("a") == 1
    assert await store.count_messages("a") == 0 and await store.count_messages("b") == 1
    assert await store.get_setting("a", "spam_policy") is None
    assert await store.followed("a", "1") is None


async def test_forget_reaches_feature_tables(store: MemoryStore) -> None:
    """Any table keyed by channel (features add their own) is cleared with the channel, in one go."""
    await store.write("CREATE TABLE feature_rows (channel_key TEXT, note TEXT)")
    await store.write_many("INSERT INTO feature_rows VALUES (?, ?)", [("a", "x"), ("b", "y")])
    await store.add_message(msg(1, "a"))
    assert await store.forget_channel("a") == 1
    assert await store.fetch("SELECT channel_key FROM feature_rows") == [("b",)]


async def test_a_failing_group_write_changes_nothing(store: MemoryStore) -> None:
    await store.add_message(msg(1, "a"))
    with pytest.raises(Exception, match="write failed"):
        await store.write_together([("DELETE FROM messages WHERE channel_key = ?", ("a",)),
                                    ("DELETE FROM no_such_table", ())])
    assert await store.count_messages("a") == 1


async def test_retention_prunes_old_messages(store: MemoryStore) -> None:
    await store.add_message(msg(1, when=datetime.now(UTC) - timedelta(days=40)))
    await store.add_message(msg(2))
    assert await store.prune(30) == 1
    assert [m.id for m in await store.recent("c")] == ["2"]
    assert await store.prune(0) == 0


async def test_threads_settings_summaries_and_events(store: MemoryStore) -> None:
    await store.follow_thread("c", "9", kind="brainstorm", data={"topic": "names"})
    kind, data, _ = await store.followed("c", "9")  # type: ignore[misc]
    assert kind == "brainstorm" and data == {"topic": "names"}
    await store.touch_thread("c", "9", {"topic": "names", "ideas": 1})
    assert (await store.followed("c", "9"))[1]["ideas"] == 1  # type: ignore[index]
    assert await store.unfollow_thread("c", "9")
    await store.set_setting("c", "k", {"a": 1})
    assert await store.get_setting("c", "k") == {"a": 1}
    await store.set_summary("c", "so far", datetime.now(UTC))
    assert (await store.get_summary("c"))[0] == "so far"  # type: ignore[index]
    assert await store.first_delivery("Ev1") and not await store.first_delivery("Ev1")


async def test_concurrent_writers_lose_nothing(store: MemoryStore) -> None:
    async def channel(c: int) -> None:
        for i in range(25):
            await store.add_message(msg(i, channel=f"ch{c}"))

    await asyncio.gather(*(channel(c) for c in range(200)))
    assert await store.count_messages() == 5000


async def test_reopen_keeps_data_and_applies_migrations_once(tmp_path: Path) -> None:
    s = await MemoryStore.open(tmp_path / "m.db")
    await s.add_message(msg(1))
    await s.close()
    s = await MemoryStore.open(tmp_path / "m.db")
    try:
        rows = await s.fetch("SELECT version FROM schema_migrations")
        assert len(rows) == len({r[0] for r in rows}) >= 1
        assert await s.count_messages() == 1
        mode = await s.fetch("PRAGMA journal_mode")
        assert mode[0][0] == "wal"
    finally:
        await s.close()


async def test_failed_write_does_not_lose_the_batch(store: MemoryStore) -> None:
    good = [store.add_message(msg(i)) for i in range(10)]
    bad = store.write("INSERT INTO no_such_table VALUES (?)", (1,))
    results = await asyncio.gather(*good, bad, return_exceptions=True)
    assert all(r is True for r in results[:10]) and isinstance(results[10], Exception)
    assert await store.count_messages() == 10


async def test_unwritable_database_is_a_clear_error(tmp_path: Path) -> None:
    from agent.errors import StorageError

    (tmp_path / "file").write_text("x")
    with pytest.raises(StorageError, match="cannot open"):
        await MemoryStore.open(tmp_path / "file" / "m.db")
