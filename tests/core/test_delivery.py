"""Repeated deliveries of one event are dropped: in the store's event ledger, or in process when it fails."""

from pathlib import Path
from types import SimpleNamespace

from agent.storage.sqlite import SqliteStorage
from bot.delivery import FirstDelivery


async def test_keys_are_kept_in_memory_under_a_namespace(tmp_path: Path) -> None:
    store = await SqliteStorage.open(tmp_path / "m.db")
    try:
        handler = SimpleNamespace(deps=SimpleNamespace(store=store))
        first = FirstDelivery("slack", lambda: handler)
        assert await first("Ev1") and not await first("Ev1")
        assert not await store.events.first_delivery("slack:Ev1")  # the key the store holds
        assert await FirstDelivery("discord:interaction", lambda: handler)("Ev1")  # another namespace
    finally:
        await store.close()


async def test_without_a_working_store_an_in_process_set_stands_in() -> None:
    class Broken:
        async def first_delivery(self, key: str) -> bool:
            raise OSError("database is locked")

    for handler in (None, SimpleNamespace(deps=SimpleNamespace(store=SimpleNamespace(events=Broken())))):
        first = FirstDelivery("slack", lambda handler=handler: handler)
        assert await first("Ev1") and await first("Ev2") and not await first("Ev1")
