"""What starts beside the platforms: the embedding model loads before the first question needs it."""

import asyncio
import threading
from pathlib import Path

import numpy as np

from bot.app import build_app, start_background
from conftest import make_settings


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


async def test_the_embedder_is_warmed_in_the_background(tmp_path: Path) -> None:
    services, _ = await build_app(make_settings(tmp_path))
    embedder = services._embedder = SlowToLoad()
    tasks = await start_background(services)
    try:
        assert await asyncio.to_thread(embedder.loaded.wait, 10)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await services.close()


async def test_a_model_that_fails_to_load_does_not_stop_the_bot(tmp_path: Path, caplog) -> None:  # type: ignore[no-untyped-def]
    services, _ = await build_app(make_settings(tmp_path, retention_days=30))
    services._embedder = BrokenModel()
    tasks = await start_background(services)
    try:
        warm = next(t for t in tasks if t.get_name() == "confab-warm-embedder")
        await asyncio.wait_for(warm, 10)
        assert "loading the embedding model failed" in caplog.text
        retention = next(t for t in tasks if t.get_name() == "confab-retention")
        assert not retention.done()
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await services.close()
