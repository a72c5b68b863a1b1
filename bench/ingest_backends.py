"""Ingest transactions/s: ``MessageStore.add`` on PostgreSQL next to SQLite, on this machine, in one run.

Each backend is opened the way Confab opens it (``agent.storage.open_storage`` with the settings of
``tests/fakes/settings.make_settings``): SQLite in a temporary folder, PostgreSQL in a schema of its own
(``bench_<random>``, dropped at the end) at ``CONFAB_BENCH_DATABASE_URL`` (default
``postgresql://postgres@127.0.0.1:5432/test``), with its default pool (10 connections per process).
``--channels`` writers (default 200, one per channel, all at once) each add messages one after another for
``--seconds``; every add is one transaction (the message, its dedupe key and, when owed, the answer owed).

Variants, per backend:
- ``plain``: a message owed nothing (most of a community's traffic);
- ``owed``: a message owed an answer (the answer owed stored in the same transaction);
- ``owed+job`` (PostgreSQL only, the scaled mode's real ingest): the ``answer`` job deferred with
  procrastinate inside that same transaction (no worker runs them here).
- ``redelivered``: the same messages added again (Slack's retries): the key absorbs them, nothing is stored.

    python -m bench.ingest_backends [--channels 200] [--seconds 5] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

DATABASE_URL = os.environ.get("CONFAB_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("CONFAB_BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


async def writers(store: Any, channels: int, seconds: float, owed: bool, tag: str,
                  replay: list[tuple[Any, Any]] | None = None) -> tuple[dict[str, Any], list[tuple[Any, Any]]]:
    """``channels`` writers adding for ``seconds`` (or, with ``replay``, adding those again once)."""
    from agent.memory.models import StoredMessage
    from agent.storage.ports import PendingAnswer

    latencies: list[float] = []
    written: list[tuple[Any, Any]] = []
    stored = 0
    stop_at = time.perf_counter() + seconds

    async def one(channel: int) -> None:
        nonlocal stored
        key = f"slack:T0BENCH01:C{tag}{channel:05d}"
        n = 0
        while time.perf_counter() < stop_at:
            now = datetime.now(UTC)
            message_id = f"{int(now.timestamp())}.{channel:04d}{n:06d}"
            message = StoredMessage(channel_key=key, id=message_id, author_id=f"U{channel:05d}{n % 7}",
                                    author_name=f"person {n % 7}", created_at=now,
                                    text=f"message {n} in channel {channel}: the deploy to staging looks fine")
            pending = PendingAnswer(key, message_id, json.dumps({"id": message_id, "text": message.text}),
                                    time.time()) if owed else None
            started = time.perf_counter()
            if await store.messages.add(message, pending):
                stored += 1
            latencies.append(time.perf_counter() - started)
            written.append((message, pending))
            n += 1

    async def again(items: list[tuple[Any, Any]]) -> None:
        nonlocal stored
        for message, pending in items:
            started = time.perf_counter()
            if await store.messages.add(message, pending):
                stored += 1
            latencies.append(time.perf_counter() - started)

    began = time.perf_counter()
    if replay is None:
        await asyncio.gather(*(one(c) for c in range(channels)))
    else:
        chunks = [replay[i::channels] for i in range(channels)]
        await asyncio.gather(*(again(chunk) for chunk in chunks))
    elapsed = time.perf_counter() - began
    return {"adds": len(latencies), "stored": stored, "seconds": round(elapsed, 2),
            "adds_per_s": round(len(latencies) / elapsed, 1),
            "p50_ms": round(percentile(latencies, 50) * 1000, 2),
            "p99_ms": round(percentile(latencies, 99) * 1000, 2)}, written


async def bench_backend(name: str, settings: Any, channels: int, seconds: float, with_jobs: bool
                        ) -> dict[str, Any]:
    from agent.storage import open_storage

    jobs = None
    on_owed = None
    if with_jobs:
        from agent.jobs import open_jobs

        jobs = await open_jobs(settings)

        async def on_owed(conn: Any, owed: Any) -> None:  # as agent.deps does in the scaled mode
            await jobs.defer("answer", {"channel_key": owed.channel_key, "message_id": owed.message_id}, conn=conn)

    store = await open_storage(settings, on_owed=None)
    results: dict[str, Any] = {}
    try:
        tag = uuid.uuid4().hex[:4].upper()
        results["plain"], plain_written = await writers(store, channels, seconds, False, tag + "P")
        results["owed"], _ = await writers(store, channels, seconds, True, tag + "O")
        results["redelivered"], _ = await writers(store, channels, seconds, False, tag + "P",
                                                  replay=plain_written)
    finally:
        await store.close()
    if jobs is not None:
        store = await open_storage(settings, on_owed=on_owed)
        try:
            results["owed+job"], _ = await writers(store, channels, seconds, True, uuid.uuid4().hex[:4].upper() + "J")
        finally:
            await store.close()
            await jobs.stop(drain=False)
    return results


async def run(channels: int, seconds: float, workdir: Path) -> dict[str, Any]:
    import psycopg

    from tests.fakes.settings import make_settings

    out: dict[str, Any] = {"channels": channels, "seconds_per_variant": seconds, "cores": os.cpu_count(),
                           "loadavg_1m_start": os.getloadavg()[0]}
    sqlite_dir = workdir / "sqlite"
    sqlite_dir.mkdir()
    out["sqlite"] = await bench_backend("sqlite", make_settings(sqlite_dir), channels, seconds, with_jobs=False)

    schema = f"bench_{uuid.uuid4().hex[:12]}"
    async with await psycopg.AsyncConnection.connect(DATABASE_URL, autocommit=True) as admin:
        await admin.execute(f'CREATE SCHEMA "{schema}"')
        version = (await (await admin.execute("SHOW server_version")).fetchone() or [""])[0]
    sep = "&" if "?" in DATABASE_URL else "?"
    url = f"{DATABASE_URL}{sep}options={quote(f'-csearch_path={schema}')}"
    try:
        pg_dir = workdir / "pg"
        pg_dir.mkdir()
        settings = make_settings(pg_dir, database_url=url, redis_url=REDIS_URL,
                                 redis_prefix=f"confab-bench:{uuid.uuid4().hex[:8]}:")
        out["postgresql"] = await bench_backend("postgresql", settings, channels, seconds, with_jobs=True)
        out["postgresql"]["server_version"] = version
    finally:
        async with await psycopg.AsyncConnection.connect(DATABASE_URL, autocommit=True) as admin:
            await admin.execute(f'DROP SCHEMA "{schema}" CASCADE')
    out["loadavg_1m_end"] = os.getloadavg()[0]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--channels", type=int, default=200, help="writers at once, one per channel")
    parser.add_argument("--seconds", type=float, default=5.0, help="per variant and backend")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    from agent.settings import Settings

    with tempfile.TemporaryDirectory(prefix="confab-ingest-") as tmp:
        result = asyncio.run(run(args.channels, args.seconds, Path(tmp)))
    if args.json:
        print(json.dumps(result))
        return
    print(f"MessageStore.add, {args.channels} channels writing at once, {args.seconds:.0f} s per variant, "
          f"{result['cores']} cores, one process (PostgreSQL {result['postgresql'].get('server_version')}: "
          f"a pool of {Settings().database_pool_size} connections, CONFAB_DATABASE_POOL_SIZE)")
    print(f"{'variant':<14}{'backend':<12}{'adds/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'adds':>9}{'stored':>9}")
    for variant in ("plain", "owed", "owed+job", "redelivered"):
        for backend in ("sqlite", "postgresql"):
            r = result[backend].get(variant)
            if r is None:
                continue
            print(f"{variant:<14}{backend:<12}{r['adds_per_s']:>10}{r['p50_ms']:>10}{r['p99_ms']:>10}"
                  f"{r['adds']:>9}{r['stored']:>9}")
    print(f"load average (1 min) at the start {result['loadavg_1m_start']:.2f}, at the end "
          f"{result['loadavg_1m_end']:.2f} (the bench itself and PostgreSQL count; so do other users of the machine)")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
