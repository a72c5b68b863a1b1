"""What the queue promises behind the Jobs API: run a job with its payload, retry a failing handler up to its
policy's attempts (with backoff), finish the jobs in hand when stopped, refuse what is not a job."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from agent.jobs import JobError, Jobs, RetryPolicy, open_jobs
from agent.jobs.postgres import ProcrastinateJobs
from agent.settings import Settings
from tests.fakes.waiting import until

ANSWER = {"channel_key": "slack:T1:C1", "message_id": "1700000000.000100"}


async def test_a_job_runs_once_with_its_payload(runner: Jobs) -> None:
    seen: list[dict[str, Any]] = []

    async def answer(payload: dict[str, Any]) -> None:
        seen.append(payload)

    runner.register("answer", answer)
    await runner.start()
    payload = {**ANSWER, "thread": None, "ids": [1, 2]}
    await runner.defer("answer", payload)
    payload["message_id"] = "changed after defer"  # the job holds its own copy

    await until(lambda: seen, what="the answer job")
    await runner.stop()
    assert seen == [{**ANSWER, "thread": None, "ids": [1, 2]}]


async def test_a_failing_handler_runs_its_attempts_and_no_more(runner: Jobs) -> None:
    runs: list[float] = []

    async def command(payload: dict[str, Any]) -> None:
        runs.append(time.monotonic())
        raise RuntimeError("the platform is down")

    runner.register("command", command, RetryPolicy(attempts=3, backoff_s=0))
    await runner.start()
    await runner.defer("command", {"name": "summarize"})

    await until(lambda: len(runs) >= 3, what="three attempts")
    await asyncio.sleep(0.8)  # a fourth run would come at once (no backoff; workers poll every 0.2 s)
    assert len(runs) == 3


async def test_a_flaky_handler_succeeds_on_a_retry_after_its_backoff(runner: Jobs) -> None:
    runs: list[float] = []
    done: list[dict[str, Any]] = []

    async def image(payload: dict[str, Any]) -> None:
        runs.append(time.monotonic())
        if len(runs) < 2:
            raise TimeoutError("image API timed out")
        done.append(payload)

    runner.register("image", image, RetryPolicy(attempts=3, backoff_s=1))
    await runner.start()
    await runner.defer("image", {"prompt": "a lighthouse"})

    await until(lambda: done, within_s=8, what="the retried image job")
    assert len(runs) == 2 and done == [{"prompt": "a lighthouse"}]
    assert runs[1] - runs[0] >= 0.9  # the first retry waited backoff_s ** 1 = 1 s


async def test_stop_lets_the_jobs_in_hand_finish(runner: Jobs) -> None:
    started: list[int] = []
    finished: list[int] = []

    async def summary_roll(payload: dict[str, Any]) -> None:
        started.append(payload["n"])
        await asyncio.sleep(0.5)
        finished.append(payload["n"])

    runner.register("summary_roll", summary_roll)
    await runner.start()
    for n in range(3):
        await runner.defer("summary_roll", {"n": n})
    await until(lambda: len(started) == 3, what="three jobs running")

    await runner.stop(drain=True, timeout_s=10)
    assert sorted(finished) == [0, 1, 2]


async def test_what_is_not_a_job_is_refused(runner: Jobs) -> None:
    async def moderate(payload: dict[str, Any]) -> None:
        return None

    runner.register("moderate", moderate)
    with pytest.raises(JobError, match="unknown job kind"):
        await runner.defer("nope", {})  # type: ignore[arg-type]
    with pytest.raises(JobError, match="not JSON"):
        await runner.defer("moderate", {"when": object()})
    with pytest.raises(JobError, match="unknown job kind"):
        runner.register("nope", moderate)  # type: ignore[arg-type]


async def test_open_jobs_needs_the_database(postgres_url: str) -> None:
    with pytest.raises(JobError, match="CONFAB_DATABASE_URL"):
        await open_jobs(Settings())
    jobs = await open_jobs(Settings(database_url=postgres_url, redis_url="redis://127.0.0.1:6379/15"))
    try:
        assert isinstance(jobs, ProcrastinateJobs)
        await jobs.defer("answer", {"message_id": "m1"})  # the schema is there: the job is stored
    finally:
        await jobs.stop()
