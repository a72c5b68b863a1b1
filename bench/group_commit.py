"""What storing a burst's plain messages costs, one at a time next to together (group commit,
agent/storage/postgres/group_commit.py): ``MessageStore.add_screened`` of ``--group`` messages at once,
``--rounds`` times, on PostgreSQL, in a schema of its own (dropped at the end). CPU per message of this
process (the replica's share) and of its PostgreSQL backends (from /proc, by ``application_name``), and
messages/s. "one at a time" caps a batch at one write and lets ``--group`` flushes run at once: each message
its own statement and commit on a connection of its own, as before group commit.

    python -m bench.group_commit [--group 16] [--rounds 150] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import psycopg

from agent.memory.models import StoredMessage
from agent.storage.ports import AuthorAsk
from agent.storage.postgres import PostgresStorage
from bench.replicas import DATABASE_URL, cpu_seconds

SCREEN = '{"channel":["slack","T1","C1",null]}'


async def backends_cpu(application: str) -> float:
    async with await psycopg.AsyncConnection.connect(DATABASE_URL, autocommit=True) as conn:
        rows = await (await conn.execute("SELECT pid FROM pg_stat_activity WHERE application_name = %s",
                                         (application,))).fetchall()
    return sum(cpu_seconds(int(pid)) for (pid,) in rows)


async def measure(most: int, group: int, rounds: int) -> dict[str, Any]:
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    async with await psycopg.AsyncConnection.connect(DATABASE_URL, autocommit=True) as conn:
        await conn.execute(f"CREATE SCHEMA {schema}")
    sep = "&" if "?" in DATABASE_URL else "?"
    store = await PostgresStorage.open(f"{DATABASE_URL}{sep}options=-csearch_path%3D{schema}&application_name={schema}")
    try:
        store.messages.batched.most = most
        if most == 1:  # as before group commit: every write its own statement at once, side by side on the pool
            store.messages.batched.lanes = group
        now = time.time()

        async def one(i: int) -> None:
            message = StoredMessage(f"slack:T1:C{i % 50}", f"m{i}", f"u{i % 400}", "someone",
                                    f"message {i} about the deploy", datetime.now(UTC))
            await store.messages.add_screened(message, SCREEN, AuthorAsk(message.author_id, now, now - 90 * 86400,
                                                                         before=now - 60))

        await asyncio.gather(*(one(10**6 + i) for i in range(4 * group)))  # warm-up: connections, prepared plans
        before_pg, before, t0 = await backends_cpu(schema), time.process_time(), time.perf_counter()
        for r in range(rounds):
            await asyncio.gather(*(one(r * group + i) for i in range(group)))
        wall, spent = time.perf_counter() - t0, time.process_time() - before
        postgres = await backends_cpu(schema) - before_pg
        n = rounds * group
        return {"cpu_ms_per_message": round(spent * 1000 / n, 3),
                "postgres_cpu_ms_per_message": round(postgres * 1000 / n, 3), "messages_per_s": round(n / wall),
                "batches": store.messages.batched.batches}
    finally:
        await store.close()
        async with await psycopg.AsyncConnection.connect(DATABASE_URL, autocommit=True) as conn:
            await conn.execute(f"DROP SCHEMA {schema} CASCADE")


async def main(args: argparse.Namespace) -> dict[str, Any]:
    return {"one at a time": await measure(1, args.group, args.rounds),
            "together": await measure(100, args.group, args.rounds)}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--group", type=int, default=16, help="messages stored at once")
    parser.add_argument("--rounds", type=int, default=150)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = asyncio.run(main(args))
    if args.json:
        print(json.dumps(result))
    else:
        for name, figures in result.items():
            print(f"{name:14s} {figures}")
