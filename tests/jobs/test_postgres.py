"""procrastinate on the real PostgreSQL: jobs commit or roll back with the ingest transaction, replicas share
them without running one twice or losing one, and a job whose worker died or stopped runs again elsewhere."""

from __future__ import annotations

import asyncio
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import psycopg
import pytest

from agent.jobs import RetryPolicy
from agent.storage.postgres.queue_schema import ensure_schema
from tests.fakes.waiting import until
from tests.jobs.conftest import OpenQueue
from tests.jobs.support import job_rows

ROOT = Path(__file__).resolve().parents[2]


async def test_the_schema_is_created_once_in_the_connections_own_schema(postgres_url: str) -> None:
    conns = [await psycopg.AsyncConnection.connect(postgres_url, autocommit=True) for _ in range(3)]
    try:
        created = await asyncio.gather(*(ensure_schema(conn) for conn in conns))
        cursor = await conns[0].execute(
            "SELECT relnamespace::regnamespace::text = current_schema() FROM pg_class"
            " WHERE oid = to_regclass('procrastinate_jobs')")
        in_own_schema = await cursor.fetchone()
    finally:
        for conn in conns:
            await conn.close()
    assert sorted(created) == [False, False, True]  # three replicas starting together: one creates it
    assert in_own_schema == (True,)  # not public: procrastinate's SQL follows the search_path


async def test_a_job_commits_or_rolls_back_with_the_ingest_transaction(postgres_url: str,
                                                                         open_queue: OpenQueue) -> None:
    seen: list[dict[str, Any]] = []

    async def answer(payload: dict[str, Any]) -> None:
        seen.append(payload)

    queue = await open_queue()
    queue.register("answer", answer)
    await queue.start()
    async with await psycopg.AsyncConnection.connect(postgres_url, autocommit=True) as conn:
        await conn.execute("CREATE TABLE messages (id text PRIMARY KEY)")
        with pytest.raises(RuntimeError):
            async with conn.transaction():
                await conn.execute("INSERT INTO messages VALUES ('m1')")
                await queue.defer("answer", {"message_id": "m1"}, conn=conn)
                raise RuntimeError("the ingest failed after the defer")
        async with conn.transaction():
            await conn.execute("INSERT INTO messages VALUES ('m2')")
            await queue.defer("answer", {"message_id": "m2"}, conn=conn)
            await asyncio.sleep(0.6)  # the worker polls every 0.2 s: it must not see the uncommitted job
            assert seen == []

    await until(lambda: seen, what="the committed job")
    await until(_queue_empty(postgres_url), what="the succeeded job to leave the queue")
    assert seen == [{"message_id": "m2"}]  # m1's job never existed; m2's ran once


def _queue_empty(url: str) -> Any:
    async def empty() -> bool:
        return await job_rows(url) == []
    return empty


async def test_two_workers_share_fifty_jobs_none_twice_none_lost(postgres_url: str, open_queue: OpenQueue) -> None:
    runs: list[tuple[str, int]] = []

    def handler(worker: str) -> Any:
        async def moderate(payload: dict[str, Any]) -> None:
            runs.append((worker, payload["n"]))
            await asyncio.sleep(0.02)
        return moderate

    workers = [await open_queue(name) for name in ("replica-a", "replica-b")]
    for worker in workers:
        worker.register("moderate", handler(worker.name))
        await worker.start()
    for n in range(50):
        await workers[n % 2].defer("moderate", {"n": n})

    await until(lambda: len(runs) >= 50, within_s=15, what="fifty jobs")
    await until(_queue_empty(postgres_url), what="the queue to empty")
    assert Counter(n for _, n in runs) == Counter(range(50))  # each exactly once
    by_worker = Counter(worker for worker, _ in runs)
    assert by_worker["replica-a"] > 0 and by_worker["replica-b"] > 0, by_worker


async def test_a_job_whose_worker_was_killed_runs_again_on_another(postgres_url: str,
                                                                    open_queue: OpenQueue) -> None:
    async with await psycopg.AsyncConnection.connect(postgres_url, autocommit=True) as conn:
        await conn.execute("CREATE TABLE job_marks (n int, pid int)")
    ingress = await open_queue("ingress")
    await ingress.defer("image", {"n": 7})
    doomed = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.jobs.dying_worker", postgres_url, cwd=ROOT,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
    try:
        marks = await until(_marks(postgres_url), within_s=15, what="the doomed worker to start the job")
    finally:
        doomed.kill()  # SIGKILL: no graceful shutdown, the job stays "doing"
        _, err = await doomed.communicate()
    assert marks == [(7, doomed.pid)], err.decode()[-2000:]
    assert await job_rows(postgres_url) == [("confab.image", "doing", 0)]

    seen: list[dict[str, Any]] = []

    async def image(payload: dict[str, Any]) -> None:
        seen.append(payload)

    survivor = await open_queue("survivor")
    survivor.register("image", image)
    await survivor.start()
    await until(lambda: seen, within_s=10, what="the survivor to run the dead worker's job")
    await until(_queue_empty(postgres_url), what="the job to be done")
    assert seen == [{"n": 7}]


def _marks(url: str) -> Any:
    async def marks() -> list[tuple[int, int]]:
        async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
            cursor = await conn.execute("SELECT n, pid FROM job_marks")
            return [(int(n), int(pid)) for n, pid in await cursor.fetchall()]
    return marks


async def test_a_live_workers_long_job_is_not_taken_from_it(postgres_url: str, open_queue: OpenQueue) -> None:
    runs: list[int] = []

    async def summary_roll(payload: dict[str, Any]) -> None:
        runs.append(payload["n"])
        await asyncio.sleep(2.5)  # longer than stalled_after_s: the heartbeat is what keeps it

    busy = await open_queue("busy")
    busy.register("summary_roll", summary_roll)
    await busy.start()
    await busy.defer("summary_roll", {"n": 1})
    await until(lambda: runs, what="the long job to start")
    other = await open_queue("other")
    for _ in range(10):
        assert await other.recover_stalled() == 0
        await asyncio.sleep(0.25)
    await until(_queue_empty(postgres_url), within_s=5, what="the long job to finish")
    assert runs == [1]


async def test_a_job_interrupted_by_a_stop_goes_back_to_the_queue(postgres_url: str, open_queue: OpenQueue) -> None:
    started: list[str] = []

    async def hangs(payload: dict[str, Any]) -> None:
        started.append("first")
        await asyncio.Event().wait()

    first = await open_queue("first")
    first.register("command", hangs, RetryPolicy(attempts=1))  # no retry for failures; an interruption is not one
    await first.start()
    await first.defer("command", {"name": "brainstorm"})
    await until(lambda: started, what="the job to start")
    await first.stop(drain=False)
    assert await job_rows(postgres_url) == [("confab.command", "todo", 1)]

    async def finishes(payload: dict[str, Any]) -> None:
        started.append("second")

    second = await open_queue("second")
    second.register("command", finishes)
    await second.start()
    await until(_queue_empty(postgres_url), what="the job to be done")
    assert started == ["first", "second"]


@pytest.mark.parametrize(("runs_before", "expected"), [(1, ("todo", 1)), (4, ("todo", 4)), (5, ("failed", 5))])
async def test_a_stalled_job_is_put_back_until_it_took_all_its_runs(
        postgres_url: str, open_queue: OpenQueue, runs_before: int, expected: tuple[str, int]) -> None:
    """A worker marked stale by hand (heartbeat an hour old) while it holds a job: the job is put back, unless
    it has already run attempts + 2 times (a job that keeps killing its worker)."""
    queue = await open_queue()

    async def image(payload: dict[str, Any]) -> None:
        return None

    queue.register("image", image, RetryPolicy(attempts=3))
    await queue.defer("image", {"n": 1})
    manager = queue.app.job_manager
    worker_id = await manager.register_worker()
    job = await manager.fetch_job(queues=["image"], worker_id=worker_id)
    assert job is not None
    async with await psycopg.AsyncConnection.connect(postgres_url, autocommit=True) as conn:
        await conn.execute("UPDATE procrastinate_workers SET last_heartbeat = now() - interval '1 hour'")
        await conn.execute("UPDATE procrastinate_jobs SET attempts = %s", (runs_before - 1,))

    assert await queue.recover_stalled() == (1 if expected[0] == "todo" else 0)
    assert await job_rows(postgres_url) == [("confab.image", *expected)]
    assert await queue.recover_stalled() == 0  # nothing left to recover


async def test_an_ingress_defers_kinds_it_does_not_run_and_a_worker_takes_only_its_own(
        postgres_url: str, open_queue: OpenQueue) -> None:
    seen: list[dict[str, Any]] = []

    async def moderate(payload: dict[str, Any]) -> None:
        seen.append(payload)

    ingress = await open_queue("ingress")  # no handlers, never started
    await ingress.defer("moderate", {"message_id": "m1"})
    await ingress.defer("image", {"prompt": "a fox"})
    worker = await open_queue("moderator")
    worker.register("moderate", moderate)
    await worker.start()
    await until(lambda: seen, what="the moderate job")
    await asyncio.sleep(0.5)
    assert seen == [{"message_id": "m1"}]
    assert await job_rows(postgres_url) == [("confab.image", "todo", 0)]  # waits for a worker with images


async def test_a_platforms_job_waits_for_a_worker_running_that_platform_and_costs_no_attempt_elsewhere(
        postgres_url: str, open_queue: OpenQueue) -> None:
    """A Slack answer once went to any worker with the ``answer`` kind: one without Slack failed it, used up
    one of its attempts, and after a few such workers the answer was given up. Now it waits in its
    platform's lane, untouched, until a worker with Slack starts."""
    ran: list[tuple[str, str]] = []

    def handler(worker: str) -> Any:
        async def run(payload: dict[str, Any]) -> None:
            ran.append((worker, str(payload["message_id"])))
        return run

    ingress = await open_queue("ingress")
    await ingress.defer("answer", {"message_id": "s1"}, platform="slack")
    await ingress.defer("answer", {"message_id": "d1"}, platform="discord")
    await ingress.defer("answer", {"message_id": "n1"})  # no platform (or queued by an older version)
    discord_only = await open_queue("discord-worker")
    discord_only.register("answer", handler("discord"))
    await discord_only.start(platforms=["discord"])
    await until(lambda: len(ran) == 2, what="the discord and platform-free jobs")
    await asyncio.sleep(0.5)
    assert sorted(ran) == [("discord", "d1"), ("discord", "n1")]
    assert await job_rows(postgres_url) == [("confab.answer", "todo", 0)]  # the Slack one: waiting, no attempt
    slack_worker = await open_queue("slack-worker")
    slack_worker.register("answer", handler("slack"))
    await slack_worker.start(platforms=["slack"])
    await until(lambda: len(ran) == 3, what="the slack job")
    assert ran[-1] == ("slack", "s1")
