"""The scaled runner: procrastinate on PostgreSQL. Any replica defers (inside the caller's transaction when
given its connection); any worker runs the job.

Each kind is a procrastinate task ``confab.<kind>`` on its own queue ``<kind>``, or ``<kind>.<platform>`` for
a job only a worker running that platform can do (a worker takes only some kinds, and only the platforms it
has). Jobs are never lost: a handler that raises is retried with backoff by procrastinate's retry strategy;
a job interrupted by a stop is put back at once; a job whose worker died (no heartbeat for
``stalled_after_s``) is put back by the periodic recovery of any live worker (:meth:`recover_stalled`).
A job that used up its runs (its last run failed, or its workers kept dying) is failed, logged, and handed
to its kind's ``gave_up`` callback, once, so what it owed is settled rather than left owed forever.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import psycopg
from procrastinate import App, BaseRetryStrategy, JobContext, PsycopgConnector, RetryDecision
from procrastinate.exceptions import JobAborted, ProcrastinateException
from procrastinate.jobs import Job, Status
from procrastinate.worker import Worker

from agent.jobs.base import (
    DEFAULT_RETRY,
    GaveUp,
    Handler,
    JobError,
    Kind,
    Payload,
    RetryPolicy,
    check_job,
    queue_of,
)
from agent.storage.postgres.queue_schema import ensure_schema, pending

log = logging.getLogger(__name__)

TASK_PREFIX = "confab."
# runs a job may take beyond its policy's attempts when it was interrupted (its worker stopped or died)
# rather than failed; a job that keeps killing its worker stops after that
INTERRUPTED_RUNS = 2
# pg_try_advisory_xact_lock key of the stalled-job sweep: one replica sweeps at a time, so a job put back
# and already picked up again is never put back a second time ("confab.rj" in ASCII)
RECOVERY_LOCK = 0x636F6E6661622E72


def task_name(kind: str) -> str:
    return TASK_PREFIX + kind


@dataclass(frozen=True, slots=True)
class WorkerTuning:
    """The worker's pace. ``stalled_after_s`` must stay well above ``heartbeat_s`` (a live worker whose
    heartbeat is merely late would see its jobs run twice)."""

    concurrency: int = 4
    heartbeat_s: float = 10.0
    stalled_after_s: float = 30.0
    recover_every_s: float = 15.0
    # jobs that ended without succeeding (failed, cancelled, aborted) stay this long for a look, then are deleted
    # (succeeded ones are deleted as they end); every process that runs jobs prunes every ``prune_every_s``
    keep_finished_hours: int = 7 * 24
    prune_every_s: float = 3600.0
    poll_s: float = 5.0  # fallback polling; new jobs arrive by LISTEN/NOTIFY
    restart_after_s: float = 5.0  # a worker that stopped on its own (database gone …) is restarted


class _Retry(BaseRetryStrategy):
    """A kind's :class:`RetryPolicy` as procrastinate's retry strategy (``job.attempts`` = runs so far - 1)."""

    def __init__(self, policy: RetryPolicy) -> None:
        self.policy = policy

    def get_retry_decision(self, *, exception: BaseException, job: Job) -> RetryDecision | None:
        runs = job.attempts + 1
        if isinstance(exception, (JobAborted, asyncio.CancelledError)):  # stopped mid-run, not failed
            return RetryDecision(retry_in={"seconds": 0}) if runs < self.policy.attempts + INTERRUPTED_RUNS else None
        if self.policy.last(runs):
            return None
        return RetryDecision(retry_in={"seconds": int(self.policy.delay_s(runs))})


class ProcrastinateJobs:
    """Jobs in PostgreSQL, run by procrastinate workers in any replica. Call :meth:`open` first."""

    def __init__(self, url: str, *, tuning: WorkerTuning = WorkerTuning(), kinds: Iterable[Kind] | None = None,
                 name: str = "confab-worker") -> None:
        self.tuning = tuning
        self.name = name
        # the kinds this worker takes; None: those registered when it starts
        self.queues: list[str] | None = list(kinds) if kinds is not None else None
        self.connector = PsycopgConnector(conninfo=url, min_size=1, max_size=tuning.concurrency + 4,
                                          name=f"{name}-pool")
        self.app = App(connector=self.connector)
        self._policies: dict[str, RetryPolicy] = {}
        self._gave_up: dict[str, GaveUp] = {}
        self._worker: Worker | None = None
        self._supervisor: asyncio.Task[None] | None = None
        self._recovery: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self._closed = False

    async def open(self) -> ProcrastinateJobs:
        """Open the queue's own connection pool and create its schema if it is missing. (Not the store's pool:
        procrastinate's LISTEN connection fails on a pool whose connections are made with ``autocommit``.)"""
        try:
            await self.app.open_async()
            async with self.connector.pool.connection() as conn:
                if await ensure_schema(conn):
                    log.info("jobs: created procrastinate's schema")
                elif behind := await pending(conn):
                    log.warning("jobs: procrastinate's schema is behind the installed version: run `confab migrate`",
                                extra={"pending": [m.name for m in behind][:5]})
        except Exception as exc:
            await self.app.close_async()
            raise JobError(f"cannot open the job queue on PostgreSQL: {type(exc).__name__}: {exc}") from exc
        return self

    def register(self, kind: Kind, handler: Handler, retry: RetryPolicy = DEFAULT_RETRY,
                 gave_up: GaveUp | None = None) -> None:
        check_job(kind, {})
        if kind in self._policies:
            raise JobError(f"a handler is already registered for {kind} jobs")
        self._policies[kind] = retry
        if gave_up is not None:
            self._gave_up[kind] = gave_up

        async def run(context: JobContext, payload: Payload) -> None:
            try:
                await handler(payload)
            except JobAborted:
                raise  # stopped, not failed: the retry strategy puts it back
            except Exception as exc:
                job = context.job
                if retry.last(job.attempts + 1):
                    await self._give_up(kind, job.id, payload,
                                        f"failed {job.attempts + 1} times, last: {type(exc).__name__}: {exc}")
                raise

        self.app.task(name=task_name(kind), queue=kind, retry=_Retry(retry), pass_context=True)(run)

    async def _give_up(self, kind: str, job_id: int | None, payload: Payload, reason: str) -> None:
        log.error("jobs: %s job %s %s; giving up", kind, job_id, reason[:300])
        settle = self._gave_up.get(kind)
        if settle is None:
            return
        try:
            await settle(payload, reason)
        except Exception:
            log.exception("jobs: settling the %s job %s that was given up failed", kind, job_id)

    async def defer(self, kind: Kind, payload: Mapping[str, Any], *,
                    conn: psycopg.AsyncConnection[Any] | None = None, platform: str | None = None) -> None:
        """With ``conn``, procrastinate's documented ``connection=`` option (3.8+) writes the job in that
        connection's open transaction (no commit: the caller's commit or rollback decides)."""
        data = check_job(kind, payload)
        deferrer = self.app.configure_task(task_name(kind), queue=queue_of(kind, platform), connection=conn)
        try:
            await deferrer.defer_async(payload=data)
        except ProcrastinateException as exc:
            raise JobError(f"{kind} job not queued: {exc}") from exc

    async def start(self, platforms: Iterable[str] = ()) -> None:
        if self._supervisor is not None:
            return
        kinds = self.queues if self.queues is not None else list(self._policies)  # default: the registered ones
        missing = [k for k in kinds if k not in self._policies]
        if missing:
            raise JobError(f"no handler registered for {', '.join(missing)} jobs")
        if not kinds:
            raise JobError("no job handler registered")
        # the others wait in the queue for a worker that has their kind and platform
        self.queues = [*kinds, *(queue_of(kind, platform) for kind in kinds for platform in sorted(set(platforms)))]
        self._supervisor = asyncio.create_task(self._keep_working(), name=f"{self.name}-supervisor")
        self._recovery = asyncio.create_task(self._maintain(), name=f"{self.name}-recovery")

    async def stop(self, *, drain: bool = True, timeout_s: float | None = None) -> None:
        """Stop the worker (jobs in hand finish, up to ``timeout_s``; interrupted ones go back to the queue)
        and close the pool. Jobs not yet fetched stay queued for the other workers. Stopping twice is stopping."""
        if self._closed:
            return
        self._closed = True
        self._stopping.set()
        if self._worker is not None:
            self._worker.shutdown_graceful_timeout = timeout_s if drain else 0
            self._worker.stop()  # type: ignore[no-untyped-call]
        for task in (self._supervisor, self._recovery):
            if task is not None:
                await task
        self._supervisor = self._recovery = None
        await self.app.close_async()

    async def _keep_working(self) -> None:
        while not self._stopping.is_set():
            t = self.tuning
            self._worker = Worker(
                app=self.app, queues=self.queues, name=self.name, concurrency=t.concurrency,
                install_signal_handlers=False, listen_notify=True, fetch_job_polling_interval=t.poll_s,
                update_heartbeat_interval=t.heartbeat_s, stalled_worker_timeout=t.stalled_after_s,
                delete_jobs="successful")
            try:
                await self._worker.run()  # type: ignore[no-untyped-call]
            except Exception:
                log.exception("jobs: the worker failed")
            if not self._stopping.is_set():
                log.error("jobs: the worker stopped on its own; restarting it in %.0f s", t.restart_after_s)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), t.restart_after_s)

    async def _maintain(self) -> None:
        """Stalled jobs put back every ``recover_every_s``; finished ones pruned every ``prune_every_s``."""
        next_prune = time.monotonic()
        while not self._stopping.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self.tuning.recover_every_s)
            if self._stopping.is_set():
                return
            try:
                await self.recover_stalled()
            except Exception:
                log.exception("jobs: recovering stalled jobs failed; trying again later")
            if time.monotonic() >= next_prune:
                next_prune = time.monotonic() + self.tuning.prune_every_s
                try:
                    await self.prune_finished()
                except Exception:
                    log.exception("jobs: pruning finished jobs failed; trying again later")

    async def prune_finished(self, older_than_hours: int | None = None) -> None:
        """Delete the jobs that ended without succeeding (failed, cancelled, aborted) more than
        ``older_than_hours`` (default ``keep_finished_hours``) ago, and succeeded ones left behind, with
        procrastinate's own ``delete_old_jobs`` (their events go with them). Replicas pruning at once is harmless."""
        hours = self.tuning.keep_finished_hours if older_than_hours is None else older_than_hours
        if hours < 0:
            raise JobError("older_than_hours must be >= 0")
        await self.app.job_manager.delete_old_jobs(nb_hours=hours, include_failed=True, include_cancelled=True,
                                                   include_aborted=True)
        log.info("jobs: pruned the jobs that ended more than %d h ago", hours)

    async def recover_stalled(self) -> int:
        """Put back the jobs of workers with no heartbeat for ``stalled_after_s`` (killed, crashed, cut off);
        a job that already took all its runs is marked failed instead. Returns how many were put back."""
        manager = self.app.job_manager
        put_back = 0
        given_up: list[Job] = []
        async with self.connector.pool.connection() as conn, conn.transaction():
            cursor = await conn.execute("SELECT pg_try_advisory_xact_lock(%s)", (RECOVERY_LOCK,))
            row = await cursor.fetchone()
            if not (row and row[0]):
                return 0  # another replica is sweeping right now
            stalled = await manager.get_stalled_jobs(seconds_since_heartbeat=self.tuning.stalled_after_s)
            for job in stalled:
                if not job.task_name.startswith(TASK_PREFIX):
                    continue
                policy = self._policies.get(job.task_name.removeprefix(TASK_PREFIX), DEFAULT_RETRY)
                if job.attempts + 1 >= policy.attempts + INTERRUPTED_RUNS:
                    await manager.finish_job(job, status=Status.FAILED, delete_job=False)
                    given_up.append(job)
                    continue
                log.warning("jobs: %s job %s was running on a worker that died; putting it back",
                            job.task_name, job.id)
                await manager.retry_job(job)
                put_back += 1
            await manager.prune_stalled_workers(self.tuning.stalled_after_s)
        for job in given_up:  # after the sweep's transaction: settling may post to a platform
            payload = job.task_kwargs.get("payload")
            await self._give_up(job.task_name.removeprefix(TASK_PREFIX), job.id,
                                payload if isinstance(payload, dict) else {},
                                f"stalled again after {job.attempts + 1} runs (its workers died)")
        return put_back
