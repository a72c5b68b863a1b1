"""The fast pace of the job-queue tests (heartbeats every 0.2 s, a worker stalled after 1.5 s, so crash
recovery takes seconds) and a look at the queue's rows."""

from __future__ import annotations

import psycopg

from agent.jobs.postgres import WorkerTuning

FAST = WorkerTuning(concurrency=4, heartbeat_s=0.2, stalled_after_s=1.5, recover_every_s=0.3, poll_s=0.2,
                    restart_after_s=0.5)


async def job_rows(url: str) -> list[tuple[str, str, int]]:
    """(task, status, attempts) of every job row still in the queue (succeeded jobs are deleted)."""
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        cursor = await conn.execute("SELECT task_name, status::text, attempts FROM procrastinate_jobs ORDER BY id")
        return [(str(t), str(s), int(a)) for t, s, a in await cursor.fetchall()]
