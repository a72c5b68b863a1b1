"""Rate windows on both backends: the limit, retry-after, one notice per blocked period, expiry, and
the window and notice shared by replicas."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import cast

import pytest
import redis.asyncio as aioredis

from agent.state import State
from tests.services import RedisTarget
from tests.state.conftest import Replicas


async def test_a_person_gets_the_limit_then_one_notice(replicas: Replicas) -> None:
    [state] = await replicas(1, rate_user_per_min=2)
    assert [(await state.rates.check("u1", "c1")).allowed for _ in range(2)] == [True, True]
    refused = await state.rates.check("u1", "c1")
    assert not refused.allowed and refused.scope == "user" and refused.notify
    assert 55 < refused.retry_after_s <= 60
    again = await state.rates.check("u1", "c1")
    assert not again.allowed and not again.notify  # later refusals: no second notice
    assert (await state.rates.check("u2", "c1")).allowed  # someone else is not affected


async def test_a_busy_channel_is_limited_across_people(replicas: Replicas) -> None:
    [state] = await replicas(1, rate_user_per_min=5, rate_channel_per_min=3)
    assert [(await state.rates.check(f"u{i}", "c1")).allowed for i in range(3)] == [True, True, True]
    refused = await state.rates.check("u9", "c1")
    assert (refused.allowed, refused.scope, refused.notify) == (False, "channel", True)
    assert (await state.rates.check("u9", "c2")).allowed


async def test_retry_after_counts_from_the_oldest_hit_and_the_window_moves(replicas: Replicas) -> None:
    [state] = await replicas(1, rate_window_s=1, rate_user_per_min=2)
    assert (await state.rates.check("u1", "c")).allowed
    await asyncio.sleep(0.4)
    assert (await state.rates.check("u1", "c")).allowed
    refused = await state.rates.check("u1", "c")
    assert not refused.allowed and 0.4 < refused.retry_after_s <= 0.65  # the first hit leaves the window first
    await asyncio.sleep(refused.retry_after_s + 0.05)
    assert (await state.rates.check("u1", "c")).allowed  # a moving window: one slot freed, not all
    refused = await state.rates.check("u1", "c")
    assert not refused.allowed and refused.notify  # a new blocked period: told again, once
    assert not (await state.rates.check("u1", "c")).notify


async def test_replicas_share_a_persons_window_and_its_notice(replicas: Replicas) -> None:
    a, b, c = await replicas(3, rate_user_per_min=3)
    assert [(await s.rates.check("u1", "c1")).allowed for s in (a, b, c)] == [True, True, True]
    verdicts = [await s.rates.check("u1", "c1") for s in (b, c, a)]
    assert [v.allowed for v in verdicts] == [False, False, False]
    assert [v.notify for v in verdicts] == [True, False, False]  # one notice, whichever replica refused


async def test_concurrent_requests_on_replicas_never_exceed_the_limit(replicas: Replicas) -> None:
    states = await replicas(3, rate_user_per_min=10, rate_channel_per_min=100)
    verdicts = await asyncio.gather(*(states[i % 3].rates.check("u1", "c1") for i in range(30)))
    assert sum(v.allowed for v in verdicts) == 10
    assert sum(v.notify for v in verdicts) == 1


@pytest.mark.parametrize("backend", ["redis"])
async def test_rate_keys_live_under_the_prefix(redis_target: RedisTarget, replicas: Replicas) -> None:
    [state] = await replicas(1, rate_user_per_min=1)
    await check_twice(state, "slack:U-prefix-check")
    client = aioredis.Redis.from_url(redis_target.url)
    try:
        mine = [k.decode() async for k in client.scan_iter(match="*U-prefix-check*", count=1000)]
    finally:
        await client.aclose()
    assert len(mine) == 2 and all(k.startswith(redis_target.prefix) for k in mine)  # the window and the notice


async def check_twice(state: State, user: str) -> None:
    assert (await state.rates.check(user, "c1")).allowed
    assert not (await state.rates.check(user, "c1")).allowed


async def test_an_unreachable_redis_lets_requests_through(tmp_path: Path) -> None:
    from agent.state import open_state
    from bot.events import Author, ChannelRef
    from bot.outbox import Outbox
    from bot.pipeline.limit import Limit
    from tests.fakes.settings import make_settings

    state = open_state(make_settings(tmp_path, redis_url="redis://127.0.0.1:1/0", rate_user_per_min=1))
    try:
        limit = Limit(state.rates, cast(Outbox, None))  # the verdict alone never sends
        channel = ChannelRef("test", "T1", "general")
        verdicts = [await limit.verdict(Author("u1", "u1"), channel) for _ in range(3)]
        assert all(v.allowed for v in verdicts)  # a limiter outage must not silence the bot
    finally:
        await state.close()


async def test_a_message_run_again_on_another_replica_is_not_counted_twice(replicas: Replicas) -> None:
    """A job whose worker died runs again elsewhere: the message was counted at its first run."""
    from bot.events import Author, ChannelRef
    from bot.outbox import Outbox
    from bot.pipeline.limit import Limit

    first, second = await replicas(2, rate_user_per_min=2)
    here, alice = ChannelRef("slack", "T1", "C1"), Author("U1", "alice")
    limits = [Limit(state.rates, Outbox(None, "confab")) for state in (first, second)]
    assert await limits[0].allows(alice, here, "m1")
    assert await limits[1].allows(alice, here, "m1")  # the same message again: not a second request
    assert await limits[1].allows(alice, here, "m2")
    assert not await limits[0].allows(alice, here, "m3")  # the limit of 2 counted m1 once


async def test_in_process_windows_forget_idle_keys_without_a_thread() -> None:
    import threading

    from limits import RateLimitItemPerSecond

    from agent.state.rates import InProcessLimiter

    limiter, item = InProcessLimiter(sweep_every_s=0.0), RateLimitItemPerSecond(1, 1)
    threads = threading.active_count()
    assert await limiter.hit(item, "user", "u1") and not await limiter.hit(item, "user", "u1")
    await asyncio.sleep(1.05)
    assert await limiter.hit(item, "user", "u2")  # checking any key sweeps: u1's window is empty
    assert list(limiter._hits) == [item.key_for("user", "u2")]
    assert await limiter.hit(item, "user", "u1")  # and u1 starts a new window
    assert threading.active_count() == threads  # expiry needs no timer thread
