"""The scaled mode under load: N ``confab run`` replicas on one PostgreSQL and one Redis, a load generator that
signs and round-robins Slack Events API requests across them, one replica and one worker ``kill -9``'d
mid-burst; then what was stored and answered, counted from PostgreSQL and the fake Slack.

Everything is loopback: a FakeSlackAPI and a FakeOpenAI (answers at once, so answers are countable) in a
process of their own (the generator measures in this one), the replicas as subprocesses (``python -m bot.cli
run --platform slack``, Slack HTTP mode, each on its own port, ``CONFAB_ROLE=all``), a schema ``bench_<random>``
in PostgreSQL and a key prefix of this run in Redis (db 14), both removed at the end.

Load (deterministic for a ``--seed``):
- ``--rate`` messages/s for ``--seconds``, with ``--burst-seconds`` bursts at ``--burst-rate`` starting at
  ``--first-burst`` and every ``--burst-every`` seconds after it (defaults: 5 s at 1,000/s from 10 s, every
  20 s: one burst in a 30 s run, 5,000 messages, next to 2,500 sustained);
- ``--mentions`` of them are ``app_mention`` events (each from its own user, spread over the channels, each with
  its own text), the others plain ``message`` events from a pool of people (never 6 in 10 s from one person: the
  spam screen's burst signal stays quiet);
- ``--retried`` get Slack's three retries (``X-Slack-Retry-Num`` 1, 2, 3) whatever the acknowledgement was,
  on Slack's schedule scaled down: Slack retries at once, after 1 minute and after 5 minutes; here after
  ``--retry-delays`` (default 1, 2, 5 s after the previous attempt);
- ``--doubled`` are delivered to two replicas at once;
- ``--rate-user-mentions`` (30) mentions from one person in one channel in the first seconds: the configured
  number of answers (``CONFAB_RATE_USER_PER_MIN``, default 10) plus one notice (later ones get a reaction).
- At ``--kill-at`` (default: the middle of the first burst) one replica is ``kill -9``'d, and so is a 4th
  process with ``CONFAB_ROLE=worker`` (which runs jobs only and takes no events: no Slack listener). A
  delivery that fails (connection refused or cut, a non-200, no answer within Slack's 3 s) is retried on
  another replica with the next ``X-Slack-Retry-Num``, as Slack does; a replica that refuses a connection
  is taken out of the rotation, as a load balancer's health check would.

At the end the bench waits until the queue is drained (no ``todo``/``doing`` rows in ``procrastinate_jobs``)
or ``--drain-timeout`` passes. Counted: events sent, stored rows (exactly one per distinct message),
replies expected (one per distinct mention that was acknowledged, minus those beyond the rate limit), replies
posted (``chat.postMessage`` / ``chat.update`` / ``chat.stopStream`` carrying the reply metadata
``event_payload.source``; a model's answers stream by default, and before 2026-11-30 the streamed ones were not
counted: the light load read "0 of 62 replies" though all were posted),
duplicates, lost, acknowledgement latency p50/p99 of the HTTP responses, what was killed.

    python -m bench.replicas [--replicas 3] [--rate 100] [--seconds 30] [--burst-rate 1000] [--json] [--check]

``--json`` prints ``{"events", "stored", "replies_expected", "replies", "duplicates", "lost", "ack_p99_ms",
"killed", ...}``; ``--check`` exits 1 when a target is missed (0 lost, 0 duplicates, queue drained,
ack p99 <= 500 ms, every event stored, and with more rate-user mentions than the limit: the limit's answers plus
one notice). "lost" is what Confab acknowledged and then did not store, or stored as a mention and did not
answer (a mention the spam screen flagged or held is not owed an answer: counted apart); an event never stored
because every delivery failed is counted by "every event stored".

Measured 2026-12-01 03:15-03:53 (branch ack-fast), runs alternating with an untouched copy of 4acaa5e, the
machine shared with other sessions (load 4-8 at the ends of runs). Where a replica's CPU went before (py-spy and
per-thread CPU from /proc, one replica): about as much in the local embedding model's threads as in the event
loop (18-26 CPU-s against 7-32; every replica embeds every new message for its conversation index, there being
no indexer here), and in the event loop the author lookups ~19% (Redis GET 8%, users.info 8%, Redis SET 2%),
aiohttp and bolt ~18%, the spam screen ~8% (after the ack), answer jobs ~6%, group commit ~5%, the recall
sync ~4%, and new connections ~10% (each delivery that timed out closed one). Changed: the embedding model runs
at nice 10 (agent/embeddings.py), and a delivery whose sender closed the connection is neither looked up nor
stored (bot/slack/http_edge.py). Per-thread CPU after: the same embedding work (10-26 CPU-s), the event loop
the same (7-8 CPU-s at the lighter load), but the acks no longer wait behind it.
- ``python -m bench.replicas --rate 50 --burst-rate 150 --check --json``, 4 pairs: before, ack p50 151-348 ms,
  p99 2,572-3,014 ms (0-395 deliveries timed out), target missed in all 4; after, p50 15, 16, 15, 136 ms,
  p99 477, 737, 462, 2,100 ms, no delivery timed out, every target met in 2 of 4. Both: every event stored
  once, 110 of 110 replies, the rate user 10 answers + 1 notice, 0 lost; one after-run counted 1 duplicate
  (an answer posted twice around the ``kill -9`` at 12.5 s; not investigated).
- ``python -m bench.replicas --check --json`` (the issue's load), 3 pairs: missed by both, every run collapsed
  into retries (27,000-31,000 deliveries for 7,522 events; the generator itself 5-13 s late): before, p50 4.9-8.0 s,
  p99 10.4-18.6 s, 45-346 events acknowledged, 3,401-7,522 stored; after, p50 5.6-5.7 s, p99 11.1-14.7 s,
  14-1,595 acknowledged, 1,732-5,232 stored. One after-run counted 6 lost (mentions stored and still owed, the
  queue empty), one before-run 2 duplicates. The load generator alone used 25-29 CPU-s per run (before this
  session's changes too): at 1,000/s it takes most of a core that the replicas need.

2026-12-01 (sixteenth session), the duplicate around the ``kill -9`` explained: an ``answer`` job whose worker was
killed after its streamed answer had finished (``chat.stopStream``) and before the reply ledger recorded it was run
again by a live worker, which streamed the answer a second time (a stream never looked for the earlier attempt's
message; the fake Slack did not show streamed messages in ``conversations.replies`` either, as Slack does). Replica
logs of the run that counted it (``--rate 50 --burst-rate 150 --keep-logs``): 3 jobs in hand at the kill, run again
33 s later. Now a job run again after an attempt that claimed its reply answers without a stream (tests/slack/
test_streaming.py). Before: 1 duplicate in 2 runs at that load (and 1 of 4, 2 of 3 in the runs above); after, 3 runs:
0 duplicates, 0 lost, 110 of 110 replies each (ack p99 570-3,088 ms, the machine shared with two other sessions).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import signal
import socket
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from tests.fakes.slack import BOT_USER_ID, TEAM_ID, event_body, free_port, sign

DATABASE_URL = os.environ.get("CONFAB_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("CONFAB_BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
SLACK_TIMEOUT_S = 3.0  # Slack counts a delivery not acknowledged within 3 s as failed, and retries it
ACK_P99_TARGET_MS = 500.0
ROOT = Path(__file__).resolve().parent.parent

WORDS = ("deploy", "staging", "release", "billing", "invoice", "cache", "docker", "layer", "pager", "oncall",
         "migration", "database", "index", "review", "merge", "branch", "test", "flaky", "build", "runner",
         "latency", "dashboard", "alert", "budget", "roadmap", "design", "doc", "wiki", "meeting", "notes",
         "customer", "ticket", "support", "backlog", "sprint", "demo", "feature", "flag", "rollout", "metric",
         "queue", "worker", "replica", "schema", "backup", "restore", "vpn", "laptop", "badge", "office")
TOPICS = ("the staging deploy", "the billing export", "our docker cache", "the on-call rota", "the schema migration",
          "the release checklist", "the flaky login test", "the metrics dashboard", "the VPN setup", "the backups")


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a live process (Linux /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_busy_s() -> float:
    """CPU seconds all cores spent on anything but idle and iowait since boot (Linux /proc/stat)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    return (sum(fields[:8]) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


def listen_overflows() -> int:
    """Connections the kernel dropped because a listening socket's accept queue was full (machine-wide,
    /proc/net/netstat TcpExt ListenOverflows): each costs the client a 1 s SYN retransmit."""
    try:
        lines = Path("/proc/net/netstat").read_text().splitlines()
    except OSError:
        return -1
    for head, values in zip(lines[::2], lines[1::2], strict=False):
        if head.startswith("TcpExt:"):
            return int(dict(zip(head.split(), values.split(), strict=False)).get("ListenOverflows", -1))
    return -1


# --- the load -------------------------------------------------------------------------------------------

@dataclass
class Planned:
    at: float  # seconds after the start
    index: int
    event_id: str
    event: dict[str, Any]
    mention: bool
    retried: bool = False
    doubled: bool = False
    rate_user: bool = False
    burst: bool = False

    @property
    def key(self) -> tuple[str, str]:
        return f"slack:{TEAM_ID}:{self.event['channel']}", str(self.event["ts"])


def plan(args: argparse.Namespace, start_wall: float, tag: str) -> list[Planned]:
    """Every first delivery, in time order."""
    rnd = random.Random(args.seed)
    times: list[float] = []
    t = 0.0
    while t < args.seconds:
        rate = args.burst_rate if args.burst_seconds > 0 and t >= args.first_burst and \
            (t - args.first_burst) % args.burst_every < args.burst_seconds else args.rate
        times.append(t)
        t += 1.0 / rate
    # the rate-limited person: early, before the kill (the limit is checked when a job runs)
    rate_span = min(10.0, args.seconds / 2)
    rate_times = [rate_span * i / max(1, args.rate_user_mentions) for i in range(args.rate_user_mentions)]
    timeline = sorted([(x, False) for x in times] + [(x, True) for x in rate_times])

    def in_burst(x: float) -> bool:
        return bool(args.burst_seconds > 0 and x >= args.first_burst
                    and (x - args.first_burst) % args.burst_every < args.burst_seconds)

    people = max(1, args.people)
    planned: list[Planned] = []
    mention_no = 0
    for index, (at, rate_user) in enumerate(timeline):
        ts = f"{int(start_wall + at)}.{index:06d}"
        mention = rate_user or rnd.random() < args.mentions
        if rate_user:
            channel, user = "C0RATE0001", "U0RATE0001"
            text = (f"<@{BOT_USER_ID}> {index}: {rnd.choice(WORDS)} {rnd.choice(WORDS)} {rnd.choice(TOPICS)}, "
                    "what's next?")
        elif mention:
            channel, user = f"C0B{mention_no % args.channels:05d}", f"U0M{mention_no:06d}"
            mention_no += 1
            text = (f"<@{BOT_USER_ID}> question {index}: how do we handle {rnd.choice(TOPICS)} "
                    f"with {rnd.choice(WORDS)} and {rnd.choice(WORDS)}?")
        else:
            channel, user = f"C0B{index % args.channels:05d}", f"U0P{index % people:06d}"
            text = " ".join(rnd.choice(WORDS) for _ in range(rnd.randint(4, 12))) + f" ({index})"
        event: dict[str, Any] = {"type": "app_mention" if mention else "message", "user": user, "text": text,
                                 "ts": ts, "channel": channel, "event_ts": ts, "team": TEAM_ID,
                                 "client_msg_id": str(uuid.UUID(int=rnd.getrandbits(128)))}
        if not mention:
            event["channel_type"] = "channel"
        planned.append(Planned(at, index, f"Ev{tag}{index:07d}", event, mention, rate_user=rate_user,
                               retried=rnd.random() < args.retried, doubled=rnd.random() < args.doubled,
                               burst=in_burst(at)))
    return planned


# --- the replicas ---------------------------------------------------------------------------------------

@dataclass
class Replica:
    name: str
    role: str
    port: int
    process: asyncio.subprocess.Process
    log_path: Path
    alive: bool = True  # in the generator's rotation
    killed_at: float | None = None


MODEL_CACHE = Path(tempfile.gettempdir()) / "confab-bench-models"


async def converted_model() -> Path:
    """The local MiniLM converted once for every replica and every run (each replica would otherwise convert
    it into its own data folder: ~30 s of CPU each, which is start-up, not load)."""
    if not (MODEL_CACHE.exists() and any(MODEL_CACHE.iterdir())):
        MODEL_CACHE.mkdir(parents=True, exist_ok=True)
        code = ("import sys; from pathlib import Path; from agent.embeddings import LocalEmbedder; "
                "LocalEmbedder(model_cache_dir=Path(sys.argv[1])).warm_up()")
        process = await asyncio.create_subprocess_exec(sys.executable, "-c", code, str(MODEL_CACHE),
                                                       env={**os.environ, "HF_HUB_OFFLINE": "1"})
        if await process.wait() != 0:
            raise RuntimeError("could not convert the local embedding model")
    return MODEL_CACHE


async def start_replica(name: str, role: str, workdir: Path, env_base: dict[str, str]) -> Replica:
    port = free_port()
    home = workdir / name
    (home / "knowledge").mkdir(parents=True, exist_ok=True)
    (home / "data").mkdir(parents=True, exist_ok=True)
    (home / "data" / "models").symlink_to(MODEL_CACHE, target_is_directory=True)
    env = {**env_base, "SLACK_HTTP_PORT": str(port), "CONFAB_ROLE": role, "CONFAB_DATA_DIR": str(home / "data"),
           "CONFAB_KNOWLEDGE_DIR": str(home / "knowledge"),
           # this checkout's code, not whatever an editable install points at (the replica runs in ``home``)
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), env_base.get("PYTHONPATH", "")]))}
    log_path = home / "confab.log"
    with log_path.open("wb") as out:  # a file, not a pipe: a full pipe would stall the replica
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.cli", "run", "--platform", "slack", cwd=home, env=env,
            stdout=out, stderr=asyncio.subprocess.STDOUT)
    return Replica(name, role, port, process, log_path)


async def wait_ready(replicas: list[Replica], url: str, timeout_s: float) -> None:
    """Every replica listening (the role ``worker`` takes no events: no listener) and every job worker
    registered with procrastinate."""
    import psycopg

    deadline = time.monotonic() + timeout_s
    await wait_listening([r for r in replicas if r.role != "worker"], deadline)
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        workers = 0
        while time.monotonic() < deadline:
            for r in replicas:
                if r.process.returncode is not None:
                    raise RuntimeError(f"{r.name} exited ({r.process.returncode}) while starting:\n"
                                       f"{r.log_path.read_text(errors='replace')[-3000:]}")
            with contextlib.suppress(psycopg.errors.UndefinedTable):
                cur = await conn.execute("SELECT count(*) FROM procrastinate_workers")
                workers = int((await cur.fetchone() or [0])[0])
                if workers >= len(replicas):
                    return
            await asyncio.sleep(0.3)
    raise RuntimeError(f"{workers} of {len(replicas)} job workers registered after {timeout_s:.0f} s")


async def wait_listening(replicas: list[Replica], deadline: float) -> None:
    timeout_s = deadline - time.monotonic()
    waiting = list(replicas)
    while waiting and time.monotonic() < deadline:
        for r in list(waiting):
            if r.process.returncode is not None:
                raise RuntimeError(f"{r.name} exited ({r.process.returncode}) while starting:\n"
                                   f"{r.log_path.read_text(errors='replace')[-3000:]}")
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", r.port)) == 0:
                    waiting.remove(r)
        await asyncio.sleep(0.2)
    if waiting:
        raise RuntimeError(f"not listening after {timeout_s:.0f} s: {', '.join(r.name for r in waiting)}:\n"
                           f"{waiting[0].log_path.read_text(errors='replace')[-3000:]}")


# --- delivering like Slack ------------------------------------------------------------------------------

@dataclass
class Stats:
    latencies_ms: list[float] = field(default_factory=list)  # every HTTP response (any status)
    burst_latencies_ms: list[float] = field(default_factory=list)  # those of events planned in a burst
    calm_latencies_ms: list[float] = field(default_factory=list)  # the others
    send_lag_ms: list[float] = field(default_factory=list)  # how late the generator sent a first delivery
    deliveries: int = 0
    statuses: Counter[str] = field(default_factory=Counter)
    acked: set[str] = field(default_factory=set)  # event ids with at least one 200
    failed_resent: int = 0
    gave_up: set[str] = field(default_factory=set)
    in_flight: int = 0


class Generator:
    def __init__(self, args: argparse.Namespace, replicas: list[Replica], secret: str) -> None:
        self.args = args
        self.replicas = replicas
        self.secret = secret
        self.stats = Stats()
        self._next = 0
        self.retry_delays = [float(x) for x in args.retry_delays.split(",")]
        self.tasks: set[asyncio.Task[None]] = set()

    def pick(self, avoid: Replica | None = None) -> Replica | None:
        alive = [r for r in self.replicas if r.alive and r is not avoid] or \
            [r for r in self.replicas if r.alive]
        if not alive:
            return None
        self._next += 1
        return alive[self._next % len(alive)]

    def spawn(self, coro: Any) -> None:
        task = asyncio.create_task(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def deliver(self, session: Any, p: Planned, retry_num: int, target: Replica | None = None,
                      avoid: Replica | None = None, chain_retries: bool = True) -> None:
        """One HTTP delivery; on failure the next retry goes to another replica (as Slack's would reach another
        replica behind the load balancer)."""
        import aiohttp

        replica = target or self.pick(avoid)
        if replica is None:
            self.stats.gave_up.add(p.event_id)
            return
        body = json.dumps(event_body(p.event, p.event_id))
        headers = {"Content-Type": "application/json", **sign(self.secret, body)}
        if retry_num:
            headers.update({"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": "http_timeout"})
        url = f"http://127.0.0.1:{replica.port}/slack/events"
        self.stats.deliveries += 1
        self.stats.in_flight += 1
        started = time.perf_counter()
        outcome = "error"
        try:
            async with session.post(url, data=body.encode(), headers=headers,
                                    timeout=aiohttp.ClientTimeout(total=SLACK_TIMEOUT_S)) as resp:
                await resp.read()
                outcome = str(resp.status)
            self._latency(p, started)
        except aiohttp.ClientConnectorError:
            outcome = "refused"
            replica.alive = False  # the load balancer's health check takes it out
        except TimeoutError:
            outcome = "timeout"
            self._latency(p, started)
        except (aiohttp.ClientError, OSError):
            outcome = "cut"
        finally:
            self.stats.in_flight -= 1
        self.stats.statuses[outcome] += 1
        if outcome == "200":
            self.stats.acked.add(p.event_id)
            return
        if not chain_retries:
            return
        if retry_num >= 3:
            self.stats.gave_up.add(p.event_id)
            return
        self.stats.failed_resent += 1
        await asyncio.sleep(self.retry_delays[min(retry_num, len(self.retry_delays) - 1)] if outcome != "refused"
                            else 0.0)  # refused: the balancer tries the next replica at once
        await self.deliver(session, p, retry_num + 1 if outcome != "refused" else retry_num, avoid=replica)

    def _latency(self, p: Planned, started: float) -> None:
        ms = (time.perf_counter() - started) * 1000
        self.stats.latencies_ms.append(ms)
        (self.stats.burst_latencies_ms if p.burst else self.stats.calm_latencies_ms).append(ms)

    async def scheduled_retries(self, session: Any, p: Planned) -> None:
        """Slack's three retries (as if the acknowledgements were lost), on the scaled-down schedule."""
        for num in (1, 2, 3):
            await asyncio.sleep(self.retry_delays[num - 1])
            await self.deliver(session, p, num, chain_retries=False)

    async def run(self, planned: list[Planned], kill: Any) -> float:
        import aiohttp

        connector = aiohttp.TCPConnector(limit=0, ttl_dns_cache=None)
        async with aiohttp.ClientSession(connector=connector) as session:
            t0 = time.perf_counter()
            kill_task = asyncio.create_task(kill(t0))
            for p in planned:
                delay = p.at - (time.perf_counter() - t0)
                if delay > 0:
                    await asyncio.sleep(delay)
                self.stats.send_lag_ms.append(max(0.0, -delay) * 1000)
                if p.doubled:
                    first = self.pick()
                    second = self.pick(avoid=first)
                    self.spawn(self.deliver(session, p, 0, target=first))
                    self.spawn(self.deliver(session, p, 0, target=second))
                else:
                    self.spawn(self.deliver(session, p, 0))
                if p.retried:
                    self.spawn(self.scheduled_retries(session, p))
            sent_in = time.perf_counter() - t0
            await kill_task
            while self.tasks:
                await asyncio.gather(*list(self.tasks), return_exceptions=True)
        return sent_in


# --- counting -------------------------------------------------------------------------------------------

def answer_key(source: str) -> tuple[str, str] | None:
    """``answer:<channel key>:<message id>`` -> (channel key, message id)."""
    if not source.startswith("answer:"):
        return None
    rest = source.removeprefix("answer:")
    key, _, message_id = rest.rpartition(":")
    return key, message_id


def replies_by_source(api: Any) -> tuple[Counter[tuple[str, int]], list[str]]:
    """(source, part) -> how many times posted (chat.postMessage, chat.update of a progress note, or chat.stopStream
    ending a streamed answer: a model's answers stream by default), and the texts of replies without metadata."""
    posted: Counter[tuple[str, int]] = Counter()
    untagged: list[str] = []
    for call in api.calls:
        if call.method not in ("chat.postMessage", "chat.update", "chat.stopStream"):
            continue
        meta = call.params.get("metadata")
        if isinstance(meta, str):
            try:
                meta = json.loads(meta)
            except ValueError:
                meta = None
        payload = (meta or {}).get("event_payload") or {}
        if payload.get("source"):
            posted[(str(payload["source"]), int(payload.get("part", 0)))] += 1
        elif call.method == "chat.postMessage":
            untagged.append(str(call.params.get("text", ""))[:80])
    return posted, untagged


async def queue_state(conn: Any) -> dict[str, int]:
    cur = await conn.execute("SELECT status::text, count(*) FROM procrastinate_jobs GROUP BY 1")
    return {str(s): int(n) for s, n in await cur.fetchall()}


async def wait_drained(url: str, timeout_s: float) -> tuple[bool, dict[str, int], float]:
    import psycopg

    started = time.perf_counter()
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        state: dict[str, int] = {}
        while time.perf_counter() - started < timeout_s:
            state = await queue_state(conn)
            if not state.get("todo") and not state.get("doing"):
                return True, state, time.perf_counter() - started
            await asyncio.sleep(1.0)
        return False, state, time.perf_counter() - started


# --- the fakes, in a process of their own (the generator's clock is not theirs to slow down) --------------

KEPT_PARAMS = ("metadata", "text", "user", "timestamp", "channel", "thread_ts", "name", "ts")
COUNTED_METHODS = ("chat.postMessage", "chat.update", "chat.stopStream", "chat.postEphemeral", "reactions.add",
                   "chat.delete", "users.info", "conversations.replies", "conversations.history")


@dataclass
class SeenCall:
    method: str
    params: dict[str, Any]


@dataclass
class FakesReport:
    """What the fake Slack was called with (the methods counted) and how often the model was asked."""

    calls: list[SeenCall]
    model_calls: int
    process_cpu_s: float

    def calls_to(self, method: str) -> list[SeenCall]:
        return [c for c in self.calls if c.method == method]


def fakes_main(conn: Any) -> None:
    """Child process: FakeSlackAPI (keeping what the bot posts, with its metadata, as Slack does) and
    FakeOpenAI; sends their URLs, then on request what they saw."""
    asyncio.run(_serve_fakes(conn))


async def _serve_fakes(conn: Any) -> None:
    from tests.fakes.openai_server import serving
    from tests.fakes.slack import FakeSlackAPI

    api = FakeSlackAPI(keep_posts=True, page_size=200)
    await api.start()
    try:
        async with serving() as fake_openai:
            conn.send((api.base, fake_openai.base_url))
            await asyncio.get_running_loop().run_in_executor(None, conn.recv)  # "report"
            calls = [(c.method, {k: c.params[k] for k in KEPT_PARAMS if k in c.params}) for c in api.calls
                     if c.method in COUNTED_METHODS]
            conn.send((calls, len(fake_openai.requests_to("/v1/chat/completions")), time.process_time()))
            await asyncio.get_running_loop().run_in_executor(None, conn.recv)  # "stop"
    finally:
        await api.stop()


class Fakes:
    def __init__(self) -> None:
        import multiprocessing

        context = multiprocessing.get_context("spawn")
        self.conn, child = context.Pipe()
        self.process = context.Process(target=fakes_main, args=(child,), name="confab-bench-fakes", daemon=True)
        self.slack_base = self.openai_base = ""
        self.cpu_at_start = 0.0

    async def start(self) -> None:
        self.process.start()
        loop = asyncio.get_running_loop()
        if not await loop.run_in_executor(None, self.conn.poll, 60):
            raise RuntimeError("the fakes did not start")
        self.slack_base, self.openai_base = self.conn.recv()

    def cpu_s(self) -> float:
        return cpu_seconds(self.process.pid) if self.process.pid else float("nan")

    async def report(self) -> FakesReport:
        self.conn.send("report")
        calls, model_calls, cpu = await asyncio.get_running_loop().run_in_executor(None, self.conn.recv)
        return FakesReport([SeenCall(m, p) for m, p in calls], model_calls, cpu)

    async def stop(self) -> None:
        with contextlib.suppress(OSError, BrokenPipeError):
            self.conn.send("stop")
        await asyncio.get_running_loop().run_in_executor(None, self.process.join, 10)
        if self.process.is_alive():
            self.process.kill()


# --- the run --------------------------------------------------------------------------------------------

async def drop_keys(prefix: str) -> None:
    """Delete the run's Redis keys (everything under ``prefix``)."""
    import redis.asyncio as aioredis

    client = aioredis.Redis.from_url(REDIS_URL)
    try:
        keys = [k async for k in client.scan_iter(match=f"{prefix}*", count=1000)]
        for start in range(0, len(keys), 1000):
            await client.delete(*keys[start:start + 1000])
    finally:
        await client.aclose()


async def run(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    import psycopg

    from tests.fakes.slack import SECRET

    tag = uuid.uuid4().hex[:8]
    schema = f"bench_{tag}"
    prefix = f"confab-bench:{tag}:"
    async with await psycopg.AsyncConnection.connect(DATABASE_URL, autocommit=True) as admin:
        await admin.execute(f'CREATE SCHEMA "{schema}"')
    sep = "&" if "?" in DATABASE_URL else "?"
    url = f"{DATABASE_URL}{sep}options={quote(f'-csearch_path={schema}')}"
    fakes = Fakes()
    await fakes.start()
    replicas: list[Replica] = []
    result: dict[str, Any] = {}
    try:
        env_base = {**os.environ, "SLACK_BOT_TOKEN": "xoxb-bench", "SLACK_MODE": "http",
                    "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_BASE_URL": fakes.slack_base + "/api/",
                    "CONFAB_MODEL": "openai:gpt-4.1-mini", "OPENAI_API_KEY": "sk-bench",
                    "OPENAI_BASE_URL": fakes.openai_base, "CONFAB_KNOWLEDGE_WATCH": "false",
                    "CONFAB_SHUTDOWN_GRACE_S": "5", "HF_HUB_OFFLINE": "1", "CONFAB_DATABASE_URL": url,
                    "CONFAB_REDIS_URL": REDIS_URL, "CONFAB_REDIS_PREFIX": prefix,
                    "CONFAB_LOG_LEVEL": args.log_level, "PYTHONUNBUFFERED": "1"}
        if args.rate_user_limit is not None:
            env_base["CONFAB_RATE_USER_PER_MIN"] = str(args.rate_user_limit)
        limit = args.rate_user_limit or 10
        await converted_model()
        started_boot = time.perf_counter()
        # the first replica migrates; the others start with it (migrations take an advisory lock)
        for i in range(args.replicas):
            replicas.append(await start_replica(f"replica{i}", "all", workdir, env_base))
        worker = await start_replica("worker", "worker", workdir, env_base) if args.worker else None
        everyone = replicas + ([worker] if worker else [])
        await wait_ready(everyone, url, args.start_timeout)
        boot_s = time.perf_counter() - started_boot

        start_wall = time.time()
        planned = plan(args, start_wall, tag)
        gen = Generator(args, replicas, SECRET)
        killed: list[str] = []
        kill_at = args.kill_at if args.kill_at is not None else args.first_burst + args.burst_seconds / 2

        async def kill(t0: float) -> None:
            if args.no_kill:
                return
            await asyncio.sleep(max(0.0, kill_at - (time.perf_counter() - t0)))
            victims = [replicas[min(1, len(replicas) - 1)]] + ([worker] if worker else [])
            for victim in victims:
                with contextlib.suppress(ProcessLookupError):
                    victim.process.send_signal(signal.SIGKILL)
                victim.killed_at = time.perf_counter() - t0
                where = f"port {victim.port}" if victim.role != "worker" else "no listener"
                killed.append(f"{victim.name} (role {victim.role}, {where}, pid {victim.process.pid}) at "
                              f"{victim.killed_at:.1f} s, {gen.stats.in_flight} deliveries in flight")

        cpu_before = {r.name: cpu_seconds(r.process.pid) for r in everyone}
        cpu_before["bench generator"] = time.process_time()
        cpu_before["bench fakes (Slack, OpenAI)"] = fakes.cpu_s()
        cpu_before["machine (all processes, PostgreSQL and others included)"] = machine_busy_s()
        wall_before = time.perf_counter()
        overflows_before = listen_overflows()
        sent_in = await gen.run(planned, kill)
        drained, queue, drain_s = await wait_drained(url, args.drain_timeout)
        await asyncio.sleep(1.0)  # a moment for a duplicate to show
        cpu_after = {r.name: cpu_seconds(r.process.pid) for r in everyone if r.process.returncode is None}
        cpu_after["bench generator"] = time.process_time()
        cpu_after["bench fakes (Slack, OpenAI)"] = fakes.cpu_s()
        cpu_after["machine (all processes, PostgreSQL and others included)"] = machine_busy_s()
        wall_s = time.perf_counter() - wall_before
        overflows = listen_overflows() - overflows_before
        api = await fakes.report()
        counted = await count(args, url, api, planned, gen, limit)
        head = ("events", "stored", "replies_expected", "replies", "duplicates", "lost", "ack_p99_ms")
        result = {**{k: counted.pop(k) for k in head}, "killed": len(killed), "killed_detail": killed,
                  **counted}
        result.update({
            "queue_drained": drained, "queue_left": queue, "drain_s": round(drain_s, 1),
            "replicas": args.replicas, "worker_process": bool(worker), "boot_s": round(boot_s, 1),
            "sent_in_s": round(sent_in, 2), "planned_s": args.seconds,
            "model_calls": api.model_calls,
            "retry_schedule_s": args.retry_delays,
            "cpu_s_during_load_and_drain": {k: round(v - cpu_before[k], 1) for k, v in cpu_after.items()},
            "wall_s_load_and_drain": round(wall_s, 1), "cores": os.cpu_count(),
            "loadavg_end": os.getloadavg()[0], "listen_overflows_machine_wide": overflows,
        })
    finally:
        for r in replicas + ([worker] if "worker" in locals() and worker else []):
            if r.process.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    r.process.send_signal(signal.SIGTERM)
        for r in replicas + ([worker] if "worker" in locals() and worker else []):
            try:
                await asyncio.wait_for(r.process.wait(), 20)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    r.process.kill()
                await r.process.wait()
        errors = []
        for r in replicas + ([worker] if "worker" in locals() and worker else []):
            text = r.log_path.read_text(errors="replace") if r.log_path.exists() else ""
            errors += [f"{r.name}: {line[:300]}" for line in text.splitlines()
                       if "Traceback" in line or '"ERROR"' in line or " ERROR " in line][:5]
        if result:
            result["replica_log_errors"] = errors[:20]
        await fakes.stop()
        async with await psycopg.AsyncConnection.connect(DATABASE_URL, autocommit=True) as admin:
            await admin.execute(f'DROP SCHEMA "{schema}" CASCADE')
        await drop_keys(prefix)
        if args.keep_logs:
            print(f"replica logs kept in {workdir}", file=sys.stderr)
    return result


async def count(args: argparse.Namespace, url: str, api: Any, planned: list[Planned], gen: Generator,
                limit: int) -> dict[str, Any]:
    import psycopg

    stats = gen.stats
    acked = {p.key for p in planned if p.event_id in stats.acked}
    sent_keys = {p.key for p in planned}
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        cur = await conn.execute("SELECT channel_key, id, count(*) FROM messages WHERE NOT is_bot "
                                 "AND channel_key LIKE 'slack:%' GROUP BY 1, 2")
        rows = {(str(k), str(i)): int(n) for k, i, n in await cur.fetchall()}
        cur = await conn.execute("SELECT count(*) FROM pending_answers")
        owed_left = int((await cur.fetchone() or [0])[0])
        cur = await conn.execute("SELECT channel_key, message_id, action FROM spam_flags")
        flags = {(str(k), str(i)): str(a) for k, i, a in await cur.fetchall()}
    stored = sum(1 for k in rows if k in sent_keys)
    stored_twice = sum(n - 1 for k, n in rows.items() if n > 1)
    unexpected_rows = sum(1 for k in rows if k not in sent_keys)
    not_stored = sorted(acked - set(rows))

    posted, untagged = replies_by_source(api)
    answers: dict[tuple[str, str], int] = defaultdict(int)
    for (source, part), n in posted.items():
        key = answer_key(source)
        if key is not None and part == 0:
            answers[key] += n
    # a mention Confab stored owes an answer, whether or not Slack saw the acknowledgement; one the spam screen
    # flagged or held (it fails closed on a timeout) is by design not answered: moderators get a note instead
    mentions = [p for p in planned if p.mention and p.key in rows]
    screened_out = [p for p in mentions if p.key in flags]
    held = [p for p in screened_out if flags[p.key] == "held"]
    ordinary = [p for p in mentions if not p.rate_user and p.key not in flags]
    rate_mentions = [p for p in mentions if p.rate_user and p.key not in flags]
    rate_expected = min(limit, len(rate_mentions))
    expected = len(ordinary) + rate_expected
    replied_ordinary = sum(1 for p in ordinary if answers.get(p.key))
    unanswered = [p.key for p in ordinary if not answers.get(p.key)]
    rate_answered = sum(1 for p in rate_mentions if answers.get(p.key))
    mention_keys = {p.key for p in mentions}
    replies = sum(1 for k, n in answers.items() if n and k in mention_keys)
    replies_unexpected = sum(1 for k, n in answers.items() if n and k not in mention_keys)
    reply_dupes = sum(n - 1 for n in answers.values() if n > 1) + \
        sum(n - 1 for (source, _), n in posted.items() if n > 1 and answer_key(source) is None)
    rate_ts = {str(p.event["ts"]) for p in rate_mentions}
    notices = [c for c in api.calls_to("chat.postEphemeral") if c.params.get("user") == "U0RATE0001"]
    reactions = [c for c in api.calls_to("reactions.add") if str(c.params.get("timestamp")) in rate_ts]
    rate_missing = max(0, rate_expected - rate_answered)
    rate_extra = max(0, rate_answered - rate_expected)
    lost = len(not_stored) + len(unanswered) + rate_missing
    duplicates = stored_twice + reply_dupes + rate_extra + max(0, len(notices) - 1) + replies_unexpected
    return {
        "events": len(planned), "stored": stored, "replies_expected": expected, "replies": replies,
        "duplicates": duplicates, "lost": lost,
        "ack_p99_ms": round(percentile(stats.latencies_ms, 99), 1),
        # (then "killed", added by the caller)
        "ack_p50_ms": round(percentile(stats.latencies_ms, 50), 1),
        "ack_max_ms": round(max(stats.latencies_ms, default=0.0), 1),
        "ack_p99_in_bursts_ms": round(percentile(stats.burst_latencies_ms, 99), 1),
        "ack_p99_outside_bursts_ms": round(percentile(stats.calm_latencies_ms, 99), 1),
        "deliveries": stats.deliveries, "delivery_outcomes": dict(stats.statuses),
        "resent_after_failure": stats.failed_resent, "acked_events": len(stats.acked),
        "never_acked": len(planned) - len(stats.acked), "gave_up": len(stats.gave_up),
        "mentions": len([p for p in planned if p.mention]), "retried_events": sum(p.retried for p in planned),
        "doubled_events": sum(p.doubled for p in planned),
        "send_lag_p99_ms": round(percentile(stats.send_lag_ms, 99), 1),
        "stored_twice": stored_twice, "rows_not_sent": unexpected_rows, "acked_not_stored": len(not_stored),
        "mentions_unanswered": len(unanswered), "answered_ordinary": replied_ordinary,
        "mentions_stored": len(mentions), "mentions_flagged_or_held": len(screened_out),
        "mentions_held_by_failing_screen": len(held), "messages_flagged_or_held": len(flags),
        "messages_held_by_failing_screen": sum(1 for a in flags.values() if a == "held"),
        "replies_to_non_mentions": replies_unexpected,
        "reply_duplicates": reply_dupes,
        "rate_user": {"mentions": len(rate_mentions), "limit": limit, "answers": rate_answered,
                      "notices": len(notices), "reactions": len(reactions)},
        "owed_left": owed_left, "untagged_posts": len(untagged),
        "untagged_samples": untagged[:3], "unanswered_samples": [":".join(k) for k in unanswered[:3]],
    }


def verdicts(result: dict[str, Any]) -> dict[str, bool]:
    met = {"0 lost": result["lost"] == 0, "0 duplicates": result["duplicates"] == 0,
           "queue drained": bool(result["queue_drained"]),
           f"ack p99 <= {ACK_P99_TARGET_MS:.0f} ms": result["ack_p99_ms"] <= ACK_P99_TARGET_MS,
           # "lost" counts what Confab acknowledged; an event whose every delivery failed (Slack gives up after
           # three retries) never reached it, and is lost to the people who wrote it all the same
           "every event stored (none given up by Slack)": result["stored"] == result["events"]}
    rate = result["rate_user"]
    if rate["mentions"] > rate["limit"]:
        met["rate user: the limit's answers + 1 notice"] = rate["answers"] == rate["limit"] and rate["notices"] == 1
    return met


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--replicas", type=int, default=3)
    parser.add_argument("--rate", type=float, default=100.0, help="messages/s sustained")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--burst-rate", type=float, default=1000.0)
    parser.add_argument("--burst-seconds", type=float, default=5.0)
    parser.add_argument("--first-burst", type=float, default=10.0)
    parser.add_argument("--burst-every", type=float, default=20.0, help="a burst starts every this many seconds")
    parser.add_argument("--mentions", type=float, default=0.05)
    parser.add_argument("--retried", type=float, default=0.02)
    parser.add_argument("--doubled", type=float, default=0.01)
    parser.add_argument("--retry-delays", default="1,2,5",
                        help="seconds before retry 1, 2, 3 (Slack: at once, 1 min, 5 min; scaled down)")
    parser.add_argument("--rate-user-mentions", type=int, default=30)
    parser.add_argument("--rate-user-limit", type=int, default=None, help="CONFAB_RATE_USER_PER_MIN (default 10)")
    parser.add_argument("--channels", type=int, default=200)
    parser.add_argument("--people", type=int, default=4000)
    parser.add_argument("--kill-at", type=float, default=None, help="default: the middle of the first burst")
    parser.add_argument("--no-kill", action="store_true")
    parser.add_argument("--no-worker", dest="worker", action="store_false",
                        help="no 4th process with CONFAB_ROLE=worker")
    parser.add_argument("--drain-timeout", type=float, default=180.0)
    parser.add_argument("--start-timeout", type=float, default=180.0)
    parser.add_argument("--seed", type=int, default=21)
    parser.add_argument("--log-level", default="WARNING")
    parser.add_argument("--keep-logs", action="store_true")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args()
    if args.keep_logs:
        workdir = Path(tempfile.mkdtemp(prefix="confab-replicas-"))
        result = asyncio.run(run(args, workdir))
    else:
        with tempfile.TemporaryDirectory(prefix="confab-replicas-") as tmp:
            result = asyncio.run(run(args, Path(tmp)))
    met = verdicts(result)
    if args.json:
        print(json.dumps({**result, "targets": {k: ("met" if v else "missed") for k, v in met.items()}}))
    else:
        print(f"{args.replicas} replicas (role all){' + 1 worker' if args.worker else ''}, "
              f"{args.rate:.0f}/s for {args.seconds:.0f} s, bursts of {args.burst_seconds:.0f} s at "
              f"{args.burst_rate:.0f}/s; boot {result['boot_s']} s; sent in {result['sent_in_s']} s "
              f"(generator lag p99 {result['send_lag_p99_ms']} ms)")
        print(f"events {result['events']} (mentions {result['mentions']}, retried {result['retried_events']}, "
              f"doubled {result['doubled_events']}), deliveries {result['deliveries']} "
              f"{result['delivery_outcomes']}, resent after a failure {result['resent_after_failure']}, "
              f"never acknowledged {result['never_acked']}")
        print(f"stored {result['stored']} (twice: {result['stored_twice']}, acknowledged but not stored: "
              f"{result['acked_not_stored']}, never stored: {result['events'] - result['stored']})")
        print(f"replies expected {result['replies_expected']}, posted {result['replies']} "
              f"(duplicates {result['reply_duplicates']}, unanswered {result['mentions_unanswered']}); "
              f"rate user {result['rate_user']}")
        print(f"ack p50 {result['ack_p50_ms']} ms, p99 {result['ack_p99_ms']} ms, max {result['ack_max_ms']} ms")
        print(f"queue drained: {result['queue_drained']} in {result['drain_s']} s (left {result['queue_left']}), "
              f"owed left {result['owed_left']}, model calls "
              f"{result['model_calls']}")
        print(f"killed {result['killed']}: {result['killed_detail']}")
        print(f"ack p99 in bursts {result['ack_p99_in_bursts_ms']} ms, "
              f"outside {result['ack_p99_outside_bursts_ms']} ms; "
              f"CPU s over {result['wall_s_load_and_drain']} s of load + drain on {result['cores']} cores "
              f"(the killed not counted) {result['cpu_s_during_load_and_drain']}; load average at the end "
              f"{result['loadavg_end']:.2f}; listen-queue overflows (machine-wide) "
              f"{result['listen_overflows_machine_wide']}")
        print(f"spam screen: {result['messages_flagged_or_held']} messages flagged or held "
              f"({result['messages_held_by_failing_screen']} held because the screen failed), of them "
              f"{result['mentions_flagged_or_held']} mentions (not owed a reply: fail-closed by design)")
        print(f"lost {result['lost']}, duplicates {result['duplicates']}")
        if result.get("replica_log_errors"):
            print("replica log errors:\n  " + "\n  ".join(result["replica_log_errors"]))
        for name, ok in met.items():
            print(f"  {name}: {'met' if ok else 'MISSED'}")
    if args.check and not all(met.values()):
        sys.exit(1)


if __name__ == "__main__":
    main()
