"""The job queue of the scaled mode: slow work (answers owed, acknowledged commands) as jobs, deferred inside
the ingest transaction, run by any worker, put back when a worker dies: procrastinate on PostgreSQL
(:class:`~agent.jobs.postgres.ProcrastinateJobs`), when ``CONFAB_DATABASE_URL`` is set. In one process
(SQLite) there is no queue: the adapters' own tasks do that work, and owed answers are resumed at start.

Usage: ``jobs = await open_jobs(settings)``; ``jobs.register("answer", handler)`` for every kind this
process runs; ``await jobs.start()`` where jobs should run; ``await jobs.defer("answer", {...}, conn=conn)``;
``await jobs.stop()`` at shutdown.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from agent.jobs.base import KINDS, GaveUp, Handler, JobError, Jobs, Kind, Payload, RetryPolicy

if TYPE_CHECKING:
    from agent.jobs.postgres import WorkerTuning
    from agent.settings import Settings

__all__ = ["KINDS", "GaveUp", "Handler", "JobError", "Jobs", "Kind", "Payload", "RetryPolicy", "open_jobs"]


async def open_jobs(settings: Settings, *, concurrency: int = 4, tuning: WorkerTuning | None = None,
                    kinds: list[Kind] | None = None) -> Jobs:
    """The job queue on ``settings.database_url``, ready to defer (its schema created if missing), with
    ``concurrency`` jobs at a time in this process's worker; ``kinds``: the kinds it takes (default all)."""
    if settings.database_url is None:
        raise JobError("the job queue needs CONFAB_DATABASE_URL (PostgreSQL)")
    from agent.jobs.postgres import ProcrastinateJobs, WorkerTuning  # procrastinate only in the scaled mode

    url = settings.database_url.get_secret_value()
    jobs = ProcrastinateJobs(url, tuning=tuning or WorkerTuning(concurrency=concurrency), kinds=kinds)
    return await jobs.open()
