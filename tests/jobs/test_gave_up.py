"""A job that used up its runs is handed to its kind's ``gave_up`` callback once, with its payload and why:
after its last failed run, or when its workers kept dying; never for a job that succeeded on a retry."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import psycopg
import pytest

from agent.jobs import RetryPolicy
from tests.fakes.waiting import until
from tests.jobs.conftest import OpenQueue
from tests.jobs.support import job_rows


async def test_the_last_failed_run_gives_the_job_up_once(postgres_url: str, open_queue: OpenQueue,
                                                         caplog: pytest.LogCaptureFixture) -> None:
    queue = await open_queue()
    runs: list[int] = []
    given_up: list[tuple[dict[str, Any], str]] = []

    async def answer(payload: dict[str, Any]) -> None:
        runs.append(1)
        raise ConnectionError("the database went away")

    async def settle(payload: dict[str, Any], reason: str) -> None:
        assert len(runs) == 3  # only once the last run failed
        given_up.append((payload, reason))

    queue.register("answer", answer, RetryPolicy(attempts=3, backoff_s=0), gave_up=settle)
    await queue.start()
    with caplog.at_level(logging.ERROR, logger="agent.jobs.postgres"):
        await queue.defer("answer", {"channel_key": "slack:T1:C1", "message_id": "1.2"})
        await until(lambda: given_up, what="the job given up")
        await asyncio.sleep(0.6)  # a fourth run, or a second give-up, would show by now (workers poll every 0.2 s)
    assert len(runs) == 3
    assert given_up == [({"channel_key": "slack:T1:C1", "message_id": "1.2"},
                         "failed 3 times, last: ConnectionError: the database went away")]
    assert [row[1] for row in await job_rows(postgres_url)] == ["failed"]
    assert any("giving up" in m and "ConnectionError" in m for m in caplog.messages)


async def test_a_job_that_succeeds_on_a_retry_is_not_given_up(open_queue: OpenQueue) -> None:
    queue = await open_queue()
    runs: list[int] = []
    given_up: list[str] = []

    async def image(payload: dict[str, Any]) -> None:
        runs.append(1)
        if len(runs) < 3:
            raise TimeoutError("image API timed out")

    async def settle(payload: dict[str, Any], reason: str) -> None:
        given_up.append(reason)

    queue.register("image", image, RetryPolicy(attempts=3, backoff_s=0), gave_up=settle)
    await queue.start()
    await queue.defer("image", {"prompt": "a lighthouse"})
    await until(lambda: len(runs) == 3, what="the third run")
    await asyncio.sleep(0.4)
    assert given_up == []


async def test_a_failing_give_up_is_logged_and_the_job_stays_failed(postgres_url: str, open_queue: OpenQueue,
                                                                    caplog: pytest.LogCaptureFixture) -> None:
    queue = await open_queue()
    runs: list[int] = []

    async def command(payload: dict[str, Any]) -> None:
        runs.append(1)
        raise RuntimeError("no")

    async def settle(payload: dict[str, Any], reason: str) -> None:
        raise ConnectionError("the database is still away")

    queue.register("command", command, RetryPolicy(attempts=1), gave_up=settle)
    await queue.start()
    with caplog.at_level(logging.ERROR, logger="agent.jobs.postgres"):
        await queue.defer("command", {"command_id": "t1"})
        await until(lambda: any("settling the command job" in m for m in caplog.messages), what="the log line")
    await asyncio.sleep(0.4)
    assert len(runs) == 1 and [row[1] for row in await job_rows(postgres_url)] == ["failed"]


async def test_a_job_whose_workers_kept_dying_is_given_up(postgres_url: str, open_queue: OpenQueue) -> None:
    queue = await open_queue()
    given_up: list[tuple[dict[str, Any], str]] = []

    async def answer(payload: dict[str, Any]) -> None:
        return None

    async def settle(payload: dict[str, Any], reason: str) -> None:
        given_up.append((payload, reason))

    queue.register("answer", answer, RetryPolicy(attempts=3), gave_up=settle)
    await queue.defer("answer", {"channel_key": "slack:T1:C1", "message_id": "3.4"})
    manager = queue.app.job_manager
    worker_id = await manager.register_worker()
    assert await manager.fetch_job(queues=["answer"], worker_id=worker_id) is not None
    async with await psycopg.AsyncConnection.connect(postgres_url, autocommit=True) as conn:
        await conn.execute("UPDATE procrastinate_workers SET last_heartbeat = now() - interval '1 hour'")
        await conn.execute("UPDATE procrastinate_jobs SET attempts = 4")  # its 5th run: attempts + 2

    assert await queue.recover_stalled() == 0
    assert given_up == [({"channel_key": "slack:T1:C1", "message_id": "3.4"},
                         "stalled again after 5 runs (its workers died)")]
