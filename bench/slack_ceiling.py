"""The floor under Slack's acknowledgement: CPU per request and the most acks/s, of a bare slack-bolt AsyncApp
over HTTP next to one Confab ingress replica on PostgreSQL and Redis, on this machine.

- ``bare``: a process running nothing but bolt's ``AsyncApp`` on its aiohttp server (signature verification,
  ``process_before_response=True``, one no-op ``message`` listener): the least any bolt-based ingress spends.
- ``confab``: ``confab run --platform slack`` with ``CONFAB_ROLE=ingress`` (as bench/replicas starts it, in a
  schema of its own and a Redis key prefix of its own): signature, dedupe, the author looked up, the message
  stored, the ack, then the spam screen in the same process.

Both get the same signed plain ``message`` events (a pool of ``--people`` authors, like bench/replicas), first
open loop at ``--rate`` per second (CPU per request at a moderate load), then closed loop with
``--concurrency`` requests in flight (the most acks/s it sustains). CPU is read from /proc (user + system time
of each process) before and after each phase, after the server has gone quiet, so other work on a shared
machine does not count; PostgreSQL's share is the CPU of the backends whose ``application_name`` is this run's,
Redis's is the whole redis-server's (shared: anything else using it counts too).

    python -m bench.slack_ceiling [--target both|bare|confab] [--rate 100] [--seconds 10] [--concurrency 16]
                                  [--people 4000] [--py-spy FILE] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import math
import os
import shutil
import signal
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import quote

from bench.replicas import (
    DATABASE_URL,
    REDIS_URL,
    ROOT,
    Fakes,
    converted_model,
    cpu_seconds,
    drop_keys,
    percentile,
    start_replica,
    wait_listening,
)
from tests.fakes.slack import SECRET, TEAM_ID, event_body, free_port, sign

QUIET_S = 1.0  # after a phase: the screen of the last messages runs after their acks


# --- the bare bolt app (a process of its own) ----------------------------------------------------------

def serve_bare(port: int, api_base: str) -> None:
    """``python -m bench.slack_ceiling --serve-bare PORT API_BASE``: bolt and nothing else."""
    from aiohttp import web
    from slack_bolt.async_app import AsyncApp
    from slack_sdk.web.async_client import AsyncWebClient

    async def main() -> None:
        client = AsyncWebClient(token="xoxb-bench", base_url=api_base)  # noqa: S106 (the fake Slack's)
        app = AsyncApp(client=client, signing_secret=SECRET, process_before_response=True)

        @app.event("message")
        async def noop(event: dict[str, Any]) -> None:
            return None

        runner = web.AppRunner(app.web_app(path="/slack/events", port=port))
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port, backlog=1024).start()
        stop = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        await stop.wait()
        await runner.cleanup()

    asyncio.run(main())


# --- CPU accounting -------------------------------------------------------------------------------------

def pids_named(name: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if (entry / "comm").read_text().strip() == name:
                    found.append(int(entry.name))
    return found


async def backend_pids(url: str, application_name: str) -> list[int]:
    import psycopg

    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        cur = await conn.execute("SELECT pid FROM pg_stat_activity WHERE application_name = %s", (application_name,))
        return [int(row[0]) for row in await cur.fetchall()]


class Meter:
    """CPU seconds of the server, of its PostgreSQL backends, of Redis, of this generator, of the fakes."""

    def __init__(self, server_pid: int, fakes: Fakes, url: str | None, application_name: str | None) -> None:
        self.server_pid, self.fakes, self.url, self.application_name = server_pid, fakes, url, application_name
        self.redis = pids_named("redis-server")

    async def read(self) -> dict[str, float]:
        got = {"server": cpu_seconds(self.server_pid), "generator": time.process_time(), "fakes": self.fakes.cpu_s()}
        if self.url and self.application_name:
            pids = await backend_pids(self.url, self.application_name)
            got.update({f"pg:{pid}": cpu for pid in pids if not math.isnan(cpu := cpu_seconds(pid))})  # not gone
            got["redis (whole server, shared)"] = sum(cpu_seconds(p) for p in self.redis)
        return got

    @staticmethod
    def spent(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
        out = {k: after[k] - before.get(k, 0.0) for k in after if not k.startswith("pg:")}
        # a backend opened during the phase spent all its CPU in it
        out["postgres (this server's backends)"] = sum(v - before.get(k, 0.0) for k, v in after.items()
                                                       if k.startswith("pg:"))
        return out


# --- the load -------------------------------------------------------------------------------------------

class Load:
    def __init__(self, port: int, people: int) -> None:
        self.url = f"http://127.0.0.1:{port}/slack/events"
        self.people = people
        self.counter = itertools.count()
        self.tag = uuid.uuid4().hex[:6]
        self.base_ts = int(time.time())

    def request(self) -> tuple[bytes, dict[str, str]]:
        i = next(self.counter)
        ts = f"{self.base_ts}.{i:06d}"
        event = {"type": "message", "channel_type": "channel", "user": f"U0P{i % self.people:06d}", "ts": ts,
                 "text": f"deploy staging cache docker review the flaky build ({i})", "channel": f"C0B{i % 200:05d}",
                 "event_ts": ts, "team": TEAM_ID, "client_msg_id": str(uuid.uuid4())}
        body = json.dumps(event_body(event, f"Ev{self.tag}{i:08d}"))
        return body.encode(), {"Content-Type": "application/json", **sign(SECRET, body)}

    async def one(self, session: Any, latencies: list[float], statuses: dict[str, int]) -> None:
        import aiohttp

        body, headers = self.request()
        started = time.perf_counter()
        try:
            async with session.post(self.url, data=body, headers=headers,
                                    timeout=aiohttp.ClientTimeout(total=10)) as resp:
                await resp.read()
                key = str(resp.status)
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            key = type(exc).__name__
        latencies.append((time.perf_counter() - started) * 1000)
        statuses[key] = statuses.get(key, 0) + 1

    async def open_loop(self, session: Any, rate: float, seconds: float) -> dict[str, Any]:
        latencies: list[float] = []
        statuses: dict[str, int] = {}
        tasks = set()
        t0 = time.perf_counter()
        for n in range(int(rate * seconds)):
            delay = n / rate - (time.perf_counter() - t0)
            if delay > 0:
                await asyncio.sleep(delay)
            task = asyncio.create_task(self.one(session, latencies, statuses))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        await asyncio.gather(*list(tasks))
        return {"requests": len(latencies), "statuses": statuses, "wall_s": time.perf_counter() - t0,
                "latencies": latencies}

    async def closed_loop(self, session: Any, concurrency: int, seconds: float) -> dict[str, Any]:
        latencies: list[float] = []
        statuses: dict[str, int] = {}
        t0 = time.perf_counter()
        deadline = t0 + seconds

        async def loop() -> None:
            while time.perf_counter() < deadline:
                await self.one(session, latencies, statuses)

        await asyncio.gather(*(loop() for _ in range(concurrency)))
        return {"requests": len(latencies), "statuses": statuses, "wall_s": time.perf_counter() - t0,
                "latencies": latencies}


async def measure(load: Load, meter: Meter, args: argparse.Namespace) -> dict[str, Any]:
    import aiohttp

    out: dict[str, Any] = {}
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
        await load.closed_loop(session, 4, 2.0)  # warm-up: connections, caches, the JIT-less first paths
        await asyncio.sleep(QUIET_S)
        phases = (("open loop", lambda: load.open_loop(session, args.rate, args.seconds)),
                  ("closed loop", lambda: load.closed_loop(session, args.concurrency, args.seconds)))
        for name, phase in phases:
            profiled = args.py_spy and name == args.py_spy_phase
            spy = await profile(meter.server_pid, args.py_spy, args.seconds) if profiled else None
            before = await meter.read()
            got = await phase()
            if spy is not None:
                await spy.wait()
            await asyncio.sleep(QUIET_S)
            spent = Meter.spent(before, await meter.read())
            n = max(1, got["requests"])
            ok = got["statuses"].get("200", 0)
            total = spent["server"] + spent.get("postgres (this server's backends)", 0.0) + \
                spent.get("redis (whole server, shared)", 0.0)
            out[name] = {
                "requests": got["requests"], "acked": ok, "statuses": got["statuses"],
                "acks_per_s": round(ok / got["wall_s"], 1),
                "ack_p50_ms": round(percentile(got["latencies"], 50), 1),
                "ack_p99_ms": round(percentile(got["latencies"], 99), 1),
                "cpu_ms_per_request": {k: round(v * 1000 / n, 2) for k, v in spent.items()},
                "server_side_cpu_ms_per_request": round(total * 1000 / n, 2),
                "server_cpu_share": round(spent["server"] / got["wall_s"], 2),
            }
    return out


async def profile(pid: int, out: str, seconds: float) -> asyncio.subprocess.Process:
    """py-spy sampling the server through a phase (a flat ``--format raw`` file: collapsed stacks)."""
    beside = Path(sys.executable).with_name("py-spy")  # the venv's, else the one on PATH
    spy = str(beside) if beside.exists() else shutil.which("py-spy") or "py-spy"
    return await asyncio.create_subprocess_exec(spy, "record", "-p", str(pid), "-o", out, "--format", "raw",
                                                "-d", str(max(1, int(seconds))), "-r", "200", "--nonblocking",
                                                stdout=asyncio.subprocess.DEVNULL)


# --- the two servers ------------------------------------------------------------------------------------

async def run_bare(args: argparse.Namespace, fakes: Fakes) -> dict[str, Any]:
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.slack_ceiling", "--serve-bare", str(port), fakes.slack_base + "/api/",
        env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError):
                _, writer = await asyncio.open_connection("127.0.0.1", port)
                writer.close()
                break
            await asyncio.sleep(0.2)
        return await measure(Load(port, args.people), Meter(process.pid, fakes, None, None), args)
    finally:
        process.send_signal(signal.SIGTERM)
        await process.wait()


async def run_confab(args: argparse.Namespace, fakes: Fakes, workdir: Path) -> dict[str, Any]:
    import psycopg

    tag = uuid.uuid4().hex[:8]
    schema, application_name = f"bench_{tag}", f"confab-ceiling-{tag}"
    async with await psycopg.AsyncConnection.connect(DATABASE_URL, autocommit=True) as admin:
        await admin.execute(f'CREATE SCHEMA "{schema}"')
    sep = "&" if "?" in DATABASE_URL else "?"
    url = f"{DATABASE_URL}{sep}options={quote(f'-csearch_path={schema}')}&application_name={application_name}"
    env = {**os.environ, "SLACK_BOT_TOKEN": "xoxb-bench", "SLACK_MODE": "http", "SLACK_SIGNING_SECRET": SECRET,
           "SLACK_API_BASE_URL": fakes.slack_base + "/api/", "CONFAB_MODEL": "openai:gpt-4.1-mini",
           "OPENAI_API_KEY": "sk-bench", "OPENAI_BASE_URL": fakes.openai_base, "CONFAB_KNOWLEDGE_WATCH": "false",
           "HF_HUB_OFFLINE": "1", "CONFAB_DATABASE_URL": url, "CONFAB_REDIS_URL": REDIS_URL,
           "CONFAB_REDIS_PREFIX": f"confab-bench:{tag}:", "CONFAB_LOG_LEVEL": "WARNING", "PYTHONUNBUFFERED": "1"}
    await converted_model()
    replica = await start_replica("ingress", "ingress", workdir, env)
    try:
        await wait_listening([replica], time.monotonic() + 180)
        return await measure(Load(replica.port, args.people), Meter(replica.process.pid, fakes, url, application_name),
                             args)
    finally:
        with contextlib.suppress(ProcessLookupError):
            replica.process.send_signal(signal.SIGTERM)
        await replica.process.wait()
        async with await psycopg.AsyncConnection.connect(DATABASE_URL, autocommit=True) as admin:
            await admin.execute(f'DROP SCHEMA "{schema}" CASCADE')
        await drop_keys(f"confab-bench:{tag}:")


async def run(args: argparse.Namespace) -> dict[str, Any]:
    fakes = Fakes()
    await fakes.start()
    result: dict[str, Any] = {"cores": os.cpu_count(), "loadavg_start": os.getloadavg()[0]}
    try:
        if args.target in ("both", "bare"):
            result["bare bolt"] = await run_bare(args, fakes)
        if args.target in ("both", "confab"):
            with tempfile.TemporaryDirectory(prefix="confab-ceiling-") as tmp:
                result["confab ingress"] = await run_confab(args, fakes, Path(tmp))
    finally:
        await fakes.stop()
    result["loadavg_end"] = os.getloadavg()[0]
    return result


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--serve-bare":
        serve_bare(int(sys.argv[2]), sys.argv[3])
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--target", choices=("both", "bare", "confab"), default="both")
    parser.add_argument("--rate", type=float, default=100.0, help="open loop: requests/s")
    parser.add_argument("--seconds", type=float, default=10.0, help="each phase's length")
    parser.add_argument("--concurrency", type=int, default=16, help="closed loop: requests in flight")
    parser.add_argument("--people", type=int, default=4000, help="distinct authors (users.info is per author)")
    parser.add_argument("--py-spy", metavar="FILE", help="profile the server during one phase (py-spy raw)")
    parser.add_argument("--py-spy-phase", choices=("open loop", "closed loop"), default="closed loop")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = asyncio.run(run(args))
    if args.json:
        print(json.dumps(result))
        return
    print(f"{result['cores']} cores, load average {result['loadavg_start']:.2f} -> {result['loadavg_end']:.2f}")
    for target in ("bare bolt", "confab ingress"):
        for phase, got in result.get(target, {}).items():
            print(f"{target:15} {phase:11}: {got['acked']}/{got['requests']} acked, {got['acks_per_s']} acks/s, "
                  f"p50 {got['ack_p50_ms']} ms, p99 {got['ack_p99_ms']} ms, server-side CPU "
                  f"{got['server_side_cpu_ms_per_request']} ms/request (server busy {got['server_cpu_share']} of a "
                  f"core); CPU ms/request {got['cpu_ms_per_request']}")


if __name__ == "__main__":
    main()
