"""Slow work (answers, commands, moderation actions, summary rolls, images) as jobs: one API, two runners.

- :class:`InProcessJobs`: asyncio tasks of this process, the single-process default (SQLite).
- :class:`~agent.jobs.postgres.ProcrastinateJobs`: procrastinate on PostgreSQL, when
  ``CONFAB_DATABASE_URL`` is set: deferred inside the ingest transaction, run by any worker, put back when
  a worker dies.

Usage: ``jobs = await open_jobs(settings)``; ``jobs.register("answer", handler)`` for every kind this
process runs; ``await jobs.start()`` where jobs should run; ``await jobs.defer("answer", {...}, conn=conn)``;
``await jobs.stop()`` at shutdown.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from agent.jobs.base import KINDS, Handler, JobError, Jobs, Kind, Payload, RetryPolicy
from agent.jobs.inprocess import InProcessJobs

if TYPE_CHECKING:
    from agent.jobs.postgres import WorkerTuning
    from agent.settings import Settings

__all__ = ["KINDS", "Handler", "InProcessJobs", "JobError", "Jobs", "Kind", "Payload", "RetryPolicy", "open_jobs"]


async def open_jobs(settings: Settings, *, concurrency: int = 4, tuning: WorkerTuning | None = None,
                    kinds: list[Kind] | None = None) -> Jobs:
    """The job queue for these settings, ready to defer: procrastinate on ``settings.database_url`` (its
    schema created if missing) or, without one, the in-process runner with ``concurrency`` workers.
    ``kinds``: the kinds this process's worker takes (PostgreSQL; default all)."""
    if settings.database_url is None:
        return InProcessJobs(concurrency)
    from agent.jobs.postgres import ProcrastinateJobs, WorkerTuning  # procrastinate only in the scaled mode

    url = settings.database_url.get_secret_value()
    jobs = ProcrastinateJobs(url, tuning=tuning or WorkerTuning(concurrency=concurrency), kinds=kinds)
    return await jobs.open()
