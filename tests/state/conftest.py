"""Both backends of agent.state: ``backend`` is "memory" (one process) or "redis" (the test Redis, this
test's key prefix); ``replicas(n)`` opens n states that act as n replicas of one deployment (in memory
that is one process, so one state; in Redis, n states with their own connections on the same keys)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from agent.state import State, open_state
from tests.fakes.settings import make_settings
from tests.services import RedisTarget

Replicas = Callable[..., Awaitable[list[State]]]


@pytest.fixture(params=["memory", "redis"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def state_settings(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Callable[..., Any]:
    target: RedisTarget | None = request.getfixturevalue("redis_target") if backend == "redis" else None

    def settings(**overrides: Any) -> Any:
        if target is not None:
            overrides = {"redis_url": target.url, "redis_prefix": target.prefix, **overrides}
        return make_settings(tmp_path, **overrides)

    return settings


@pytest.fixture
async def replicas(backend: str, state_settings: Callable[..., Any]) -> AsyncIterator[Replicas]:
    opened: list[State] = []

    async def open_replicas(count: int = 2, rate_window_s: int = 60, **overrides: Any) -> list[State]:
        settings = state_settings(**overrides)
        if backend == "memory":
            one = open_state(settings, rate_window_s=rate_window_s)
            opened.append(one)
            return [one] * count
        states = [open_state(settings, rate_window_s=rate_window_s) for _ in range(count)]
        opened.extend(states)
        return states

    yield open_replicas
    for state in opened:
        await state.close()
