"""The in-process runner's own promises (bounded concurrency, jobs deferred before start wait, a stop without
draining interrupts) and :func:`open_jobs` picking the runner from the settings."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from agent.jobs import InProcessJobs, JobError, open_jobs
from agent.jobs.postgres import ProcrastinateJobs
from agent.settings import Settings
from tests.fakes.waiting import until


async def test_at_most_concurrency_jobs_run_at_once_and_deferred_ones_wait_for_start() -> None:
    jobs = InProcessJobs(concurrency=2)
    running = 0
    peak = 0
    done: list[int] = []

    async def image(payload: dict[str, Any]) -> None:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0.05)
        running -= 1
        done.append(payload["n"])

    jobs.register("image", image)
    for n in range(6):
        await jobs.defer("image", {"n": n})
    await asyncio.sleep(0.1)
    assert done == []  # not started yet: they wait
    await jobs.start()
    await jobs.idle(timeout_s=5)
    assert sorted(done) == list(range(6)) and peak == 2
    await jobs.stop()


async def test_a_stop_without_draining_interrupts_and_later_jobs_are_refused() -> None:
    jobs = InProcessJobs()
    started: list[int] = []
    finished: list[int] = []

    async def summary_roll(payload: dict[str, Any]) -> None:
        started.append(1)
        await asyncio.sleep(30)
        finished.append(1)

    jobs.register("summary_roll", summary_roll)
    await jobs.start()
    await jobs.defer("summary_roll", {})
    await until(lambda: started, what="the job to start")
    await asyncio.wait_for(jobs.stop(drain=False), 2)
    assert finished == []
    with pytest.raises(JobError, match="stopped"):
        await jobs.defer("summary_roll", {})


async def test_a_drain_that_times_out_interrupts_the_rest() -> None:
    jobs = InProcessJobs()

    async def command(payload: dict[str, Any]) -> None:
        await asyncio.sleep(30)

    jobs.register("command", command)
    await jobs.start()
    await jobs.defer("command", {})
    await asyncio.wait_for(jobs.stop(drain=True, timeout_s=0.2), 2)


async def test_in_process_jobs_need_a_handler_and_no_transaction() -> None:
    jobs = InProcessJobs()
    with pytest.raises(JobError, match="no handler"):
        await jobs.defer("answer", {"message_id": "m1"})
    jobs.register("answer", _noop)
    with pytest.raises(JobError, match="transaction"):
        await jobs.defer("answer", {"message_id": "m1"}, conn=object())  # type: ignore[arg-type]


async def _noop(payload: dict[str, Any]) -> None:
    return None


async def test_open_jobs_picks_the_runner_from_the_settings(postgres_url: str) -> None:
    assert isinstance(await open_jobs(Settings()), InProcessJobs)
    scaled = Settings(database_url=postgres_url, redis_url="redis://127.0.0.1:6379/15")
    jobs = await open_jobs(scaled)
    try:
        assert isinstance(jobs, ProcrastinateJobs)
        await jobs.defer("answer", {"message_id": "m1"})  # the schema is there: the job is stored
    finally:
        await jobs.stop()
