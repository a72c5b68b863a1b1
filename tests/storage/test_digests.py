"""The digest port on every backend: one schedule per channel (replaced, kept across a reopen, removed by
``/forget``), due schedules of the platforms asked for, and the claim: a compare-and-set on the due time, so of
two replicas racing for one due run exactly one gets it."""

from __future__ import annotations

import asyncio
import time

from agent.storage.digest_store import digest_store
from agent.storage.digests import DigestSchedule, DigestStore
from agent.storage.ports import Storage
from tests.storage.conftest import Opener

KEY = "slack:T1:C1"
OTHER = "discord:G1:42"


def schedule(key: str = KEY, next_run: float = 1_000.0, kind: str = "daily", since: float | None = None
             ) -> DigestSchedule:
    return DigestSchedule(key, kind, "09:00", 0 if kind == "weekly" else None, "Europe/Berlin",  # type: ignore[arg-type]
                          next_run, since, "U1", time.time())


async def test_a_schedule_is_set_replaced_and_removed(store: Storage) -> None:
    digests = digest_store(store)
    assert isinstance(digests, DigestStore)
    assert await digests.get(KEY) is None
    await digests.put(schedule())
    got = await digests.get(KEY)
    assert got is not None and (got.kind, got.at, got.weekday, got.zone, got.next_run, got.since, got.created_by) == (
        "daily", "09:00", None, "Europe/Berlin", 1_000.0, None, "U1")
    await digests.covered(KEY, 900.0)
    await digests.put(schedule(kind="weekly", next_run=5_000.0))  # replaced: the last digest's end is kept
    got = await digests.get(KEY)
    assert got is not None and (got.kind, got.weekday, got.next_run, got.since) == ("weekly", 0, 5_000.0, 900.0)
    await digests.covered(KEY, 800.0)  # never back
    assert (await digests.get(KEY)).since == 900.0  # type: ignore[union-attr]
    assert await digests.remove(KEY) is True
    assert await digests.remove(KEY) is False
    assert await digests.get(KEY) is None


async def test_due_lists_only_due_schedules_of_the_platforms_asked_for(store: Storage) -> None:
    digests = digest_store(store)
    await digests.put(schedule(KEY, next_run=100.0))
    await digests.put(schedule("slack:T1:C2", next_run=300.0))
    await digests.put(schedule(OTHER, next_run=50.0))
    assert [s.channel_key for s in await digests.due(200.0, ["slack"])] == [KEY]
    assert [s.channel_key for s in await digests.due(300.0, ["slack", "discord"])] == [OTHER, KEY, "slack:T1:C2"]
    assert await digests.due(300.0, []) == []
    assert await digests.due(10.0, ["slack", "discord"]) == []


async def test_a_claim_is_a_compare_and_set_on_the_due_time(store: Storage) -> None:
    digests = digest_store(store)
    await digests.put(schedule(next_run=100.0, since=50.0))
    claimed = await digests.claim(KEY, 100.0, 700.0)
    assert claimed is not None and (claimed.next_run, claimed.run_of, claimed.since) == (700.0, 100.0, 50.0)
    assert await digests.claim(KEY, 100.0, 700.0) is None  # taken
    assert await digests.due(200.0, ["slack"]) == []  # leased
    assert await digests.claim("slack:T1:nope", 100.0, 200.0) is None
    assert await digests.finish(KEY, 700.0, 86_500.0, until=150.0) is True
    got = await digests.get(KEY)
    assert got is not None and (got.next_run, got.run_of, got.since) == (86_500.0, None, 150.0)
    assert await digests.finish(KEY, 700.0, 90_000.0, until=160.0) is False  # not leased any more


async def test_an_expired_lease_is_claimed_again_as_the_same_run(store: Storage) -> None:
    digests = digest_store(store)
    await digests.put(schedule(next_run=100.0, since=50.0))
    assert await digests.claim(KEY, 100.0, 700.0) is not None  # then its process died
    [stale] = await digests.due(700.0, ["slack"])
    again = await digests.claim(KEY, stale.next_run, 1_300.0)
    assert again is not None and (again.next_run, again.run_of) == (1_300.0, 100.0)  # the run of 100 still
    assert await digests.finish(KEY, 700.0, 86_500.0, until=200.0) is False  # the dead one's lease is over
    assert await digests.finish(KEY, 1_300.0, 86_500.0, until=None) is True  # refused: "since" stays
    got = await digests.get(KEY)
    assert got is not None and (got.next_run, got.run_of, got.since) == (86_500.0, None, 50.0)
    await digests.claim(KEY, 86_500.0, 87_100.0)
    await digests.put(schedule(next_run=90_000.0))  # rescheduled meanwhile: the run in hand is let go
    got = await digests.get(KEY)
    assert got is not None and (got.next_run, got.run_of, got.since) == (90_000.0, None, 50.0)


async def test_forget_removes_the_channels_schedule(store: Storage) -> None:
    digests = digest_store(store)
    await digests.put(schedule(KEY))
    await digests.put(schedule("slack:T1:C2"))
    await store.messages.forget(KEY)
    assert await digests.get(KEY) is None
    assert await digests.get("slack:T1:C2") is not None


async def test_a_schedule_survives_reopening_the_store(store: Storage, replica: Opener) -> None:
    await digest_store(store).put(schedule(next_run=123.5, since=99.25))
    await store.close()
    reopened = digest_store(await replica())
    got = await reopened.get(KEY)
    assert got is not None and (got.next_run, got.since) == (123.5, 99.25)


async def test_replicas_racing_for_a_due_run_claim_it_once(store: Storage, replica: Opener) -> None:
    """Two stores on one database (two replicas), each trying many times at once: one claim wins per due run."""
    first, second = digest_store(store), digest_store(await replica())
    for run in range(5):
        due = 1_000.0 + run
        await first.put(schedule(next_run=due))
        claims = await asyncio.gather(*(stores.claim(KEY, due, due + 600.0)
                                        for stores in [first, second] * 8))
        assert sum(c is not None for c in claims) == 1
        got = await second.get(KEY)
        assert got is not None and (got.next_run, got.run_of) == (due + 600.0, due)
