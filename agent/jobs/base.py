"""What every job runner offers: the kinds of slow work, their handlers and retry policies, one API.

A job is a ``kind`` and a JSON payload (a dict of ids, never live objects: a job may run in another
process, after a restart). Handlers must be idempotent-friendly: a job runs at least once; it runs
again when its handler raised (up to the kind's attempts) or its worker died mid-run. When a job has
used up its runs, the kind's ``gave_up`` callback (if registered) settles what the job owed, once.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Protocol, get_args, runtime_checkable

from agent.errors import ConfabError

if TYPE_CHECKING:
    import psycopg

# the slow work the pipeline hands off; add a kind here before deferring it (typos fail the type check)
Kind = Literal["answer", "command", "moderate", "summary_roll", "image"]
KINDS: tuple[str, ...] = get_args(Kind)

Payload = dict[str, Any]
Handler = Callable[[Payload], Awaitable[None]]
# called once when a job will not run again (its last run failed, or its worker kept dying): the payload and why
GaveUp = Callable[[Payload, str], Awaitable[None]]


class JobError(ConfabError):
    """The job queue refused a job (unknown kind, payload not JSON, no transaction support) or failed."""


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often a kind's job runs when its handler raises: ``attempts`` runs in all; before the k-th
    retry it waits ``backoff_s ** k`` seconds (0: at once; 2: 2, 4, 8 … s)."""

    attempts: int = 3
    backoff_s: int = 2

    def __post_init__(self) -> None:
        if self.attempts < 1 or self.backoff_s < 0:
            raise ValueError("attempts must be >= 1 and backoff_s >= 0")

    def last(self, runs: int) -> bool:
        """Whether a job that failed on its ``runs``-th run is not run again."""
        return runs >= self.attempts

    def delay_s(self, retry: int) -> float:
        """The wait before retry number ``retry`` (1 for the first retry)."""
        return float(self.backoff_s**retry) if self.backoff_s else 0.0


DEFAULT_RETRY = RetryPolicy()


@runtime_checkable
class Jobs(Protocol):
    """A job queue. Register every kind's handler before :meth:`start`; defer from anywhere."""

    def register(self, kind: Kind, handler: Handler, retry: RetryPolicy = DEFAULT_RETRY,
                 gave_up: GaveUp | None = None) -> None:
        """The handler that runs ``kind``'s jobs in this process, their retry policy, and what settles a job
        that used up its runs (``gave_up(payload, reason)``; its own errors are logged, never retried)."""

    async def defer(self, kind: Kind, payload: Mapping[str, Any], *,
                    conn: psycopg.AsyncConnection[Any] | None = None, platform: str | None = None) -> None:
        """Queue a job. With ``conn`` (PostgreSQL only) the job is written in that connection's open
        transaction: it exists only if the caller commits. ``platform``: the job answers through that
        platform's adapter, so only a worker running it takes the job (:func:`queue_of`)."""

    async def start(self, platforms: Iterable[str] = ()) -> None:
        """Begin running jobs in this process (the ``all`` and ``worker`` roles): jobs of no platform, and
        those of ``platforms`` (the adapters this process has)."""

    async def stop(self, *, drain: bool = True, timeout_s: float | None = None) -> None:
        """Stop running jobs and release the queue. ``drain``: let the jobs in hand finish (up to
        ``timeout_s``) before the rest are interrupted."""


def queue_of(kind: str, platform: str | None = None) -> str:
    """The queue a job waits in: ``answer``, or ``answer.slack`` for one only a worker with Slack can send.
    Without lanes, a worker without the platform took the job, failed it and used up one of its attempts."""
    return f"{kind}.{platform}" if platform else kind


def check_job(kind: str, payload: Mapping[str, Any]) -> Payload:
    """The payload as the handler will see it (a JSON round trip), or :class:`JobError`."""
    if kind not in KINDS:
        raise JobError(f"unknown job kind {kind!r}; known: {', '.join(KINDS)}")
    try:
        copy = json.loads(json.dumps(dict(payload)))
    except (TypeError, ValueError) as exc:
        raise JobError(f"{kind} job payload is not JSON: {exc}") from exc
    return dict(copy)
