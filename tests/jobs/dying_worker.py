"""A procrastinate worker in a process of its own, for the crash tests: ``python -m tests.jobs.dying_worker URL``.

Its ``image`` handler writes ``(n, pid)`` to the table ``job_marks`` and then hangs, so the test can
``kill -9`` the process while the job is running."""

from __future__ import annotations

import asyncio
import os
import sys
from typing import Any

import psycopg

from agent.jobs.postgres import ProcrastinateJobs
from tests.jobs.support import FAST


async def main(url: str) -> None:
    async def image(payload: dict[str, Any]) -> None:
        async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
            await conn.execute("INSERT INTO job_marks (n, pid) VALUES (%s, %s)", (payload["n"], os.getpid()))
        await asyncio.Event().wait()  # until killed

    queue = await ProcrastinateJobs(url, tuning=FAST, name="doomed").open()
    queue.register("image", image)
    await queue.start()
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
