"""The daily transcription allowance (SpeechQuota) on every backend: reserved before transcribing, settled with the
decoded length, released on failure, and never overrun by two replicas at once."""

from __future__ import annotations

import asyncio
import time

from agent.storage.ports import SpeechQuota, Storage
from tests.storage.conftest import Opener


async def test_the_storage_has_a_speech_quota(store: Storage) -> None:
    assert isinstance(store.speech, SpeechQuota)


async def test_seconds_are_reserved_settled_and_released_within_the_limit(store: Storage) -> None:
    speech = store.speech
    now = time.time()
    first = await speech.reserve("u1", 400.0, now - 100, now - 1000, 600.0)
    assert first is not None
    assert await speech.reserve("u1", 300.0, now - 50, now - 1000, 600.0) is None  # 700 s would pass 600
    assert await speech.reserve("u2", 300.0, now - 50, now - 1000, 600.0) is not None  # someone else's allowance
    await speech.settle(first, 120.0)  # the header said 400 s, the recording was 2 minutes
    assert await speech.used_since("u1", now - 1000) == 120.0
    second = await speech.reserve("u1", 300.0, now - 40, now - 1000, 600.0)
    assert second is not None
    assert await speech.used_since("u1", now - 1000) == 420.0
    await speech.release(second)  # the provider failed: it doesn't count
    assert await speech.used_since("u1", now - 1000) == 120.0
    assert await speech.used_since("u1", now - 60) == 0.0  # yesterday's seconds don't count today
    assert await speech.reserve("u1", 600.0, now, now - 60, 600.0) is not None


async def test_two_replicas_cannot_both_take_the_last_seconds(store: Storage, replica: Opener) -> None:
    other = await replica()
    now = time.time()
    taken = await asyncio.gather(*(s.speech.reserve("u1", 40.0, now, now - 10, 100.0)
                                   for s in (store, other, store, other)))
    assert sum(1 for t in taken if t is not None) == 2
    assert await other.speech.used_since("u1", now - 10) == 80.0


async def test_usage_older_than_two_days_is_removed(store: Storage) -> None:
    now = time.time()
    assert await store.speech.reserve("u1", 30.0, now - 4 * 86400, now - 5 * 86400, 600.0) is not None
    assert await store.speech.used_since("u1", 0.0) == 30.0
    assert await store.speech.reserve("u2", 10.0, now, now - 3600, 600.0) is not None  # anyone's reservation
    assert await store.speech.used_since("u1", 0.0) == 0.0
