"""Job queues for the tests: procrastinate on the test's own PostgreSQL schema at the fast pace of
:mod:`tests.jobs.support`."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from agent.jobs import Jobs
from agent.jobs.postgres import ProcrastinateJobs, WorkerTuning
from tests.jobs.support import FAST

OpenQueue = Callable[..., Awaitable[ProcrastinateJobs]]


@pytest.fixture
async def open_queue(postgres_url: str) -> AsyncIterator[OpenQueue]:
    """Opens ProcrastinateJobs on the test's schema (each call: another replica); all stopped at the end."""
    opened: list[ProcrastinateJobs] = []

    async def open_one(name: str = "w", tuning: WorkerTuning = FAST, **kwargs: Any) -> ProcrastinateJobs:
        queue = ProcrastinateJobs(postgres_url, tuning=tuning, name=name, **kwargs)
        opened.append(queue)
        return await queue.open()

    yield open_one
    for queue in opened:
        await queue.stop(drain=False)


@pytest.fixture
async def runner(postgres_url: str) -> AsyncIterator[Jobs]:
    """The queue, opened and not started (register handlers, then start)."""
    queue = ProcrastinateJobs(postgres_url, tuning=FAST)
    yield await queue.open()
    await queue.stop(drain=False)

