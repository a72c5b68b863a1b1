"""What starts beside the platforms: the embedding model loads before the first question needs it, and
what startup built is frozen out of the garbage collector's full passes."""

import asyncio
import gc
import threading
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import numpy as np

from bot.app import freeze_long_lived_objects, start_background
from tests.fakes.harness import open_bot


class SlowToLoad:
    name, dim = "test:slow", 8

    def __init__(self) -> None:
        self.loaded = threading.Event()

    def warm_up(self) -> None:
        self.loaded.set()

    def embed(self, texts: list[str]) -> np.ndarray:
        return np.ones((len(texts), self.dim), dtype=np.float32)


class BrokenModel(SlowToLoad):
    def warm_up(self) -> None:
        raise OSError("model files missing")


@asynccontextmanager
async def started(deps: Any) -> AsyncIterator[list[asyncio.Task[None]]]:
    """``bot.app.start_background`` for a test's bot, its tasks cancelled at the end."""
    tasks = await start_background(deps)
    try:
        yield tasks
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def test_the_embedder_is_warmed_in_the_background(tmp_path: Path) -> None:
    embedder = SlowToLoad()
    async with open_bot(tmp_path, embedder=embedder) as bot, started(bot.deps) as tasks:
        assert await asyncio.to_thread(embedder.loaded.wait, 10)
        warm = next(t for t in tasks if t.get_name() == "confab-warm-embedder")
        await asyncio.wait_for(warm, 10)
        assert gc.get_freeze_count() > 0  # the model's objects are out of the collector's full passes


async def test_a_model_that_fails_to_load_does_not_stop_the_bot(tmp_path: Path, caplog) -> None:  # type: ignore[no-untyped-def]
    async with open_bot(tmp_path, embedder=BrokenModel(), retention_days=30) as bot, started(bot.deps) as tasks:
        warm = next(t for t in tasks if t.get_name() == "confab-warm-embedder")
        await asyncio.wait_for(warm, 10)
        assert "loading the embedding model failed" in caplog.text
        retention = next(t for t in tasks if t.get_name() == "confab-retention")
        assert not retention.done()


class Node:
    def __init__(self) -> None:
        self.other: Node | None = None


def test_garbage_is_collected_before_the_freeze() -> None:
    garbage = Node()
    garbage.other = Node()
    garbage.other.other = garbage  # a cycle only the collector can free
    garbage_ref = weakref.ref(garbage)
    del garbage
    gc.unfreeze()
    freeze_long_lived_objects()
    assert garbage_ref() is None  # collected, not frozen forever
    assert gc.get_freeze_count() > 0


async def test_only_processes_that_answer_keep_the_conversation_index(tmp_path: Path, postgres_url: str,
                                                                      redis_target: Any) -> None:
    """An ingress, a gateway or the indexer never searches past conversations: it neither holds their vectors nor
    embeds every new message (each replica would, for nothing). The indexer embeds them once, for the workers."""
    scaled = {"database_url": postgres_url, "redis_url": redis_target.url, "redis_prefix": redis_target.prefix}
    for role, keeps, embeds in (("all", True, True), ("worker", True, False), ("ingress", False, None),
                                ("gateway", False, None), ("indexer", False, True)):
        (tmp_path / role).mkdir()
        async with open_bot(tmp_path / role, embedder=SlowToLoad(), role=role, **scaled) as bot, \
                started(bot.deps) as tasks:
            names = {t.get_name() for t in tasks}
            assert ("confab-recall" in names) is keeps, role
            assert ("confab-recall-embedder" in names) is (role == "indexer"), role
            assert embeds is None or (bot.deps.recall is not None and bot.deps.recall.embeds is embeds), role
