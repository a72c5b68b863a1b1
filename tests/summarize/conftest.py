"""Fixtures for summaries and brainstorms: the hash embedder, the real MiniLM (once), and a bot."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.summarize.summ_fakes import HashEmbedder


@pytest.fixture
def embedder() -> HashEmbedder:
    return HashEmbedder()


@pytest.fixture(scope="session")
def minilm(local_embedder: Any) -> Any:
    local_embedder.warm_up()
    return local_embedder


@pytest.fixture
async def bot(tmp_path: Any) -> AsyncIterator[Any]:
    """The offline bot (real pipeline, recording adapter) with the hash embedder."""
    from bot.app import build_app
    from tests.fakes.harness import Chat, RecordingAdapter
    from tests.fakes.settings import make_settings

    deps, pipeline = await build_app(make_settings(tmp_path), embedder=HashEmbedder())
    adapter = RecordingAdapter()
    pipeline.attach(adapter)
    yield Chat(pipeline, adapter)
    await deps.close()
