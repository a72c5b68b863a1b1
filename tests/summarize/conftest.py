"""Fixtures for summaries and brainstorms: the hash embedder, the real MiniLM (once), and a bot."""

from __future__ import annotations

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
async def bot(bot_factory: Any) -> Any:
    """The offline bot (real pipeline, recording adapter) with the hash embedder."""
    return await bot_factory(embedder=HashEmbedder())
