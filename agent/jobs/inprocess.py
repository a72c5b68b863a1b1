"""The single-process runner: jobs are asyncio tasks of this process, at most ``concurrency`` at a time.

Nothing is written anywhere: a job deferred here is lost if the process dies, which is why the
single-process mode keeps its owed answers in the store (resumed at start) rather than relying on this
queue. Failures are retried like the PostgreSQL runner's (the kind's :class:`RetryPolicy`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from agent.jobs.base import DEFAULT_RETRY, Handler, JobError, Kind, Payload, RetryPolicy, check_job

if TYPE_CHECKING:
    import psycopg

log = logging.getLogger(__name__)


@dataclass(slots=True)
class _Job:
    kind: str
    payload: Payload
    attempt: int = 1


class InProcessJobs:
    """Jobs run by ``concurrency`` asyncio workers of this process (deferred before :meth:`start`, they wait)."""

    def __init__(self, concurrency: int = 4) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be >= 1")
        self.concurrency = concurrency
        self._handlers: dict[str, tuple[Handler, RetryPolicy]] = {}
        self._queue: asyncio.Queue[_Job] = asyncio.Queue()
        self._workers: list[asyncio.Task[None]] = []
        self._waits: set[asyncio.Task[None]] = set()  # retries waiting out their backoff
        self._unfinished = 0  # accepted and not yet done (queued, running or waiting to retry)
        self._idle = asyncio.Event()
        self._idle.set()
        self._stopped = False

    def register(self, kind: Kind, handler: Handler, retry: RetryPolicy = DEFAULT_RETRY) -> None:
        check_job(kind, {})
        self._handlers[kind] = (handler, retry)

    async def defer(self, kind: Kind, payload: Mapping[str, Any], *,
                    conn: psycopg.AsyncConnection[Any] | None = None) -> None:
        if conn is not None:
            raise JobError("the in-process job queue cannot join a database transaction; defer after the commit")
        if self._stopped:
            raise JobError(f"the job queue is stopped; {kind} job refused")
        data = check_job(kind, payload)
        if kind not in self._handlers:
            raise JobError(f"no handler registered for {kind} jobs")
        self._unfinished += 1
        self._idle.clear()
        self._queue.put_nowait(_Job(kind, data))

    async def start(self) -> None:
        if self._workers:
            return
        self._workers = [asyncio.create_task(self._work(), name=f"jobs-worker-{i}") for i in range(self.concurrency)]

    async def idle(self, timeout_s: float | None = None) -> None:
        """Wait until every job accepted so far is done (retries included)."""
        await asyncio.wait_for(self._idle.wait(), timeout_s)

    async def stop(self, *, drain: bool = True, timeout_s: float | None = None) -> None:
        self._stopped = True
        if drain and self._workers and self._unfinished:
            try:
                await self.idle(timeout_s)
            except TimeoutError:
                log.warning("jobs: %d job(s) still unfinished after %.1f s; interrupting them",
                            self._unfinished, timeout_s or 0)
        tasks = [*self._workers, *self._waits]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._unfinished:
            log.warning("jobs: %d job(s) dropped at stop", self._unfinished)
        self._workers.clear()
        self._waits.clear()

    async def _work(self) -> None:
        while True:
            job = await self._queue.get()
            handler, policy = self._handlers[job.kind]
            retrying = False
            try:
                await handler(job.payload)
            except Exception:
                retrying = job.attempt < policy.attempts
                if retrying:
                    delay = policy.delay_s(job.attempt)
                    log.warning("jobs: %s job failed (attempt %d of %d); retrying in %.0f s",
                                job.kind, job.attempt, policy.attempts, delay, exc_info=True)
                    wait = asyncio.create_task(self._retry_later(job, delay))
                    self._waits.add(wait)
                    wait.add_done_callback(self._waits.discard)
                else:
                    log.exception("jobs: %s job failed after %d attempt(s); giving up", job.kind, job.attempt)
            finally:
                if not retrying:
                    self._done()

    async def _retry_later(self, job: _Job, delay_s: float) -> None:
        await asyncio.sleep(delay_s)
        job.attempt += 1
        self._queue.put_nowait(job)

    def _done(self) -> None:
        self._unfinished -= 1
        if self._unfinished == 0:
            self._idle.set()
