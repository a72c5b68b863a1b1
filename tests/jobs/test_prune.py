"""Finished jobs do not pile up: those that ended without succeeding are kept for a while (an operator may look),
then deleted with their events, by every process that runs jobs; queued and running jobs are never touched."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import psycopg
import pytest

from agent.jobs import JobError, RetryPolicy
from tests.fakes.waiting import until
from tests.jobs.conftest import OpenQueue
from tests.jobs.support import FAST, job_rows


async def _age(url: str, hours: int, status: str) -> None:
    """Make every job with ``status`` look as if it ended ``hours`` ago."""
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        await conn.execute("UPDATE procrastinate_events SET at = now() - make_interval(hours => %s) WHERE job_id IN "
                           "(SELECT id FROM procrastinate_jobs WHERE status = %s)", (hours, status))


async def _events(url: str) -> int:
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        row = await (await conn.execute("SELECT count(*) FROM procrastinate_events")).fetchone()
        return int(row[0]) if row else 0


async def _failed_job(url: str, queue: Any) -> None:
    await queue.defer("command", {"n": 1})
    await until(_status_is(url, "failed"), what="the failed job")


def _status_is(url: str, status: str) -> Any:
    async def check() -> bool:
        return any(row[1] == status for row in await job_rows(url))

    return check


async def test_old_finished_jobs_are_pruned_and_the_rest_kept(postgres_url: str, open_queue: OpenQueue) -> None:
    queue = await open_queue()

    async def command(payload: dict[str, Any]) -> None:
        raise RuntimeError("the platform is down")

    queue.register("command", command, RetryPolicy(attempts=1))
    await queue.start()
    await _failed_job(postgres_url, queue)
    await _age(postgres_url, 200, "failed")  # ended 200 h ago: beyond the week kept
    await queue.defer("command", {"n": 2})
    await until(_failed_count(postgres_url, 2), what="a second failed job, a recent one")
    await queue.defer("summary_roll", {"n": 3})  # no worker takes these here: it stays queued

    await queue.prune_finished()
    assert sorted(row[1] for row in await job_rows(postgres_url)) == ["failed", "todo"]
    await queue.prune_finished(older_than_hours=0)
    assert [row[1] for row in await job_rows(postgres_url)] == ["todo"]
    assert await _events(postgres_url) == 1  # the queued job's; the deleted jobs' events went with them
    with pytest.raises(JobError):
        await queue.prune_finished(older_than_hours=-1)


def _failed_count(url: str, count: int) -> Any:
    async def check() -> bool:
        return sum(row[1] == "failed" for row in await job_rows(url)) >= count

    return check


async def test_a_running_queue_prunes_by_itself(postgres_url: str, open_queue: OpenQueue) -> None:
    queue = await open_queue(tuning=replace(FAST, prune_every_s=0.2, keep_finished_hours=1))

    async def command(payload: dict[str, Any]) -> None:
        raise RuntimeError("the platform is down")

    queue.register("command", command, RetryPolicy(attempts=1))
    await queue.start()
    await _failed_job(postgres_url, queue)
    await _age(postgres_url, 2, "failed")
    await until(_queue_empty(postgres_url), what="the old failed job pruned")


def _queue_empty(url: str) -> Any:
    async def empty() -> bool:
        return not await job_rows(url)

    return empty
