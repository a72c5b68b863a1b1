"""Slack's bulk-read budget on both backends: one process's own pacer, or replicas sharing it in Redis."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.errors import PaceExceeded
from bot.slack.pacing import Pacer, SharedPacer, make_pacer
from tests.fakes.settings import make_settings
from tests.services import RedisTarget

FAST = {1: 1.0, 2: 20.0, 3: 600.0, 4: 6000.0}  # Tier 3 at 10 a second, so the test stays quick


@pytest.fixture
async def pacers(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[list[Pacer]]:
    """Two replicas' pacers: in one process that is one pacer; with Redis, two with their own connections."""
    if backend == "memory":
        one = Pacer(burst=1, tiers=FAST)
        yield [one, one]
        return
    target: RedisTarget = request.getfixturevalue("redis_target")
    settings = make_settings(tmp_path, redis_url=target.url, redis_prefix=target.prefix)
    made = [make_pacer(settings) for _ in range(2)]
    assert all(isinstance(p, SharedPacer) for p in made)
    shared = [SharedPacer(p.client, target.prefix, burst=1, tiers=FAST) for p in made if isinstance(p, SharedPacer)]
    yield shared
    for pacer in shared:
        await pacer.close()


async def test_replicas_read_history_within_one_budget(pacers: list[Pacer]) -> None:
    a, b = pacers
    started = time.monotonic()
    delays = [await p.wait("conversations.history") for p in (a, b, a, b)]
    assert delays[0] == 0.0 and all(0.03 < d <= 0.11 for d in delays[1:])  # one slot every 0.1 s, all replicas
    assert time.monotonic() - started >= 0.28
    with pytest.raises(PaceExceeded):
        await b.wait("conversations.history", max_wait_s=0.01)  # refused at once, reserving nothing
    assert await a.wait("conversations.info") == 0.0  # each method has its own budget
    assert await b.wait("chat.postMessage") == 0.0
