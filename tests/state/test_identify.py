"""Discord IDENTIFY turns: discord.py's pacing in one process; across processes one IDENTIFY per
``max_concurrency`` bucket per interval, whichever process runs the shard."""

from __future__ import annotations

import asyncio
import itertools
import time
from pathlib import Path

import redis.asyncio as aioredis

from agent.state.identify import LocalIdentifyGate, RedisIdentifyGate
from tests.fakes.settings import make_settings
from tests.services import RedisTarget

INTERVAL_S = 0.3


async def test_in_one_process_discord_py_paces_itself() -> None:
    gate = LocalIdentifyGate(interval_s=0.1)
    started = time.monotonic()
    await gate.wait(0, initial=True)
    assert time.monotonic() - started < 0.05  # the first shard identifies at once
    await gate.wait(1)
    assert time.monotonic() - started >= 0.1


async def test_two_processes_take_turns_per_bucket(redis_target: RedisTarget) -> None:
    clients = [aioredis.Redis.from_url(redis_target.url) for _ in range(2)]
    gates = [RedisIdentifyGate(c, redis_target.prefix, max_concurrency=2, interval_s=INTERVAL_S, poll_s=0.05)
             for c in clients]
    identified: dict[str, float] = {}

    async def identify(name: str, gate: RedisIdentifyGate, shard_id: int) -> None:
        await gate.wait(shard_id, initial=True)  # "initial" in its own process: no free pass across processes
        identified[name] = time.monotonic()

    try:
        started = time.monotonic()
        # shards 0 and 2 share bucket 0 (0 % 2 == 2 % 2), shard 1 is in bucket 1; the gates are two processes
        await asyncio.gather(identify("s0", gates[0], 0), identify("s2", gates[1], 2), identify("s1", gates[1], 1),
                             identify("s4", gates[0], 4))
        bucket0 = sorted(identified[s] for s in ("s0", "s2", "s4"))
        assert all(later - earlier >= INTERVAL_S - 0.01 for earlier, later in itertools.pairwise(bucket0))
        assert identified["s1"] - started < INTERVAL_S  # another bucket does not wait
        assert 0 < await clients[0].pttl(f"{redis_target.prefix}discord:identify:0") <= INTERVAL_S * 1000
    finally:
        for client in clients:
            await client.aclose()


async def test_the_discord_client_asks_the_gate_before_identifying(tmp_path: Path,
                                                                   redis_target: RedisTarget) -> None:
    from bot.discord.adapter import DiscordAdapter

    settings = make_settings(tmp_path, discord_token="not-a-real-token", redis_url=redis_target.url,
                             redis_prefix=redis_target.prefix)
    adapters = [DiscordAdapter(settings), DiscordAdapter(settings)]  # two gateway processes
    gates = [getattr(a.client, "identify_gate", None) for a in adapters]
    try:
        assert all(isinstance(g, RedisIdentifyGate) and g.interval_s == 5.0 for g in gates)
        for gate in gates:
            gate.interval_s = INTERVAL_S  # type: ignore[union-attr]  # Discord's 5 s, shortened for the test
        started = time.monotonic()
        await adapters[0].client.before_identify_hook(0, initial=True)
        await adapters[1].client.before_identify_hook(1, initial=True)
        assert time.monotonic() - started >= INTERVAL_S - 0.01  # max_concurrency 1: the second waits its turn
    finally:
        for adapter in adapters:
            await adapter.close(grace_s=0)


async def test_without_redis_a_shard_still_identifies_after_the_interval() -> None:
    client = aioredis.Redis.from_url("redis://127.0.0.1:1/0")  # nothing listens there
    gate = RedisIdentifyGate(client, "confab-test:none:", interval_s=0.1)
    try:
        started = time.monotonic()
        await gate.wait(0, initial=True)
        assert 0.1 <= time.monotonic() - started < 2
    finally:
        await client.aclose()

