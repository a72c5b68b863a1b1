"""Published versions (agent.state.versions), on both backends: what one replica publishes, the others
learn, from the message or from the key; following ends when cancelled, whatever it is waiting on."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Callable
from typing import Any

import pytest

from agent.state import open_state
from agent.state.versions import RedisVersionBoard
from tests.fakes.waiting import until
from tests.state.conftest import Replicas

CHECK_S = 0.05


async def test_followers_learn_the_current_version_then_each_new_one(replicas: Replicas) -> None:
    publisher, follower, late = await replicas(3)
    assert await follower.versions.current("index") is None
    await publisher.versions.publish("index", "v-1-1")
    learned: list[str] = []

    async def on_version(version: str) -> None:
        learned.append(version)

    following = asyncio.create_task(follower.versions.follow("index", on_version, every_s=60))
    try:
        await until(lambda: learned == ["v-1-1"], 10, "the current version")
        await publisher.versions.publish("index", "v-2-1")  # learned from the message, long before a check
        await until(lambda: learned[-1:] == ["v-2-1"], 10, "the published version")
        assert await late.versions.current("index") == "v-2-1"  # a replica that starts later reads the key
        assert await publisher.versions.current("other") is None
    finally:
        following.cancel()
        await asyncio.gather(following, return_exceptions=True)


async def test_following_ends_promptly_when_cancelled_at_any_moment(replicas: Replicas) -> None:
    """A cancel that lands as a short timed read expires used to be swallowed (Python 3.11)."""
    (state,) = await replicas(1)
    await state.versions.publish("index", "v-1-1")

    async def on_version(version: str) -> None:
        await asyncio.sleep(0)

    for attempt in range(60):
        following = asyncio.create_task(state.versions.follow("index", on_version, every_s=0.002))
        await asyncio.sleep(0.005 + (attempt % 11) * 0.001)
        following.cancel()
        done, _ = await asyncio.wait({following}, timeout=2)
        assert done, f"attempt {attempt}: following went on after the cancel"


@pytest.mark.parametrize("backend", ["redis"])  # only Redis can be out of reach
async def test_a_follower_that_cannot_reach_redis_retries_and_logs_once(
        state_settings: Callable[..., Any], caplog: pytest.LogCaptureFixture) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    state = open_state(state_settings(redis_url=f"redis://127.0.0.1:{port}/0"))
    assert isinstance(state.versions, RedisVersionBoard)
    learned: list[str] = []

    async def on_version(version: str) -> None:
        learned.append(version)

    with caplog.at_level(logging.INFO, logger="agent.state.versions"):
        following = asyncio.create_task(state.versions.follow("index", on_version, every_s=CHECK_S))
        try:
            await until(lambda: [r for r in caplog.records if r.name == "agent.state.versions"], 10,
                        "the failure to be noticed")
            await asyncio.sleep(CHECK_S * 10)  # ten more failed checks
        finally:
            following.cancel()
            await asyncio.gather(following, return_exceptions=True)
            await state.close()
    assert [r.getMessage() for r in caplog.records if r.name == "agent.state.versions"] == [
        "versions unreachable; keeping the current version and retrying"]
    assert learned == []

