"""The digest port: each channel's digest schedule (``/digest``), claimed run by run so that however many
replicas look at it, each due digest is posted once.

One schedule per channel (keyed by ``channel_key``, so ``/forget`` removes it with the rest of the channel).
``next_run`` is the next due time in UTC; ``since`` the start of the next digest's window (the end of the last
one's). A runner lists what is :meth:`DigestStore.due`, then claims one (:meth:`DigestStore.claim`) with a
compare-and-set on its ``next_run``: only the first claim of a due value succeeds, and it moves ``next_run`` to
the end of a lease and records the run it is (``run_of``, the due time first claimed). :meth:`DigestStore.finish`
then sets the following run (and moves ``since``). A runner that dies in between leaves the lease to expire: the
run is due again and claimed again, as the same run (the reply ledger, keyed by it, keeps a digest that was
already posted from going out twice). A run missed while every process was down is one due value, however many
days passed, so it runs once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol, runtime_checkable

DigestKind = Literal["daily", "weekly"]
COLUMNS = "channel_key, kind, at_time, weekday, zone, next_run, since, created_by, created_at, run_of"


@dataclass(frozen=True, slots=True)
class DigestSchedule:
    channel_key: str
    kind: DigestKind
    at: str  # "HH:MM", wall-clock time in ``zone``
    weekday: int | None  # 0 = Monday; weekly schedules only
    zone: str  # IANA name
    next_run: float  # POSIX seconds: the next run, or the end of the lease of the run in hand
    since: float | None  # where the next digest's window starts
    created_by: str
    created_at: float
    run_of: float | None = None  # the run in hand (its first due time), between a claim and its finish

    def params(self) -> tuple[object, ...]:
        return (self.channel_key, self.kind, self.at, self.weekday, self.zone, self.next_run, self.since,
                self.created_by, self.created_at, self.run_of)


def schedule_from_row(row: Sequence[object]) -> DigestSchedule:
    key, kind, at, weekday, zone, next_run, since, created_by, created_at, run_of = row
    return DigestSchedule(str(key), "weekly" if kind == "weekly" else "daily", str(at),
                          None if weekday is None else int(str(weekday)), str(zone), float(str(next_run)),
                          None if since is None else float(str(since)), str(created_by), float(str(created_at)),
                          None if run_of is None else float(str(run_of)))


@runtime_checkable
class DigestStore(Protocol):
    async def get(self, channel_key: str) -> DigestSchedule | None: ...

    async def put(self, schedule: DigestSchedule) -> None:
        """Set the channel's schedule, replacing its earlier one (and letting go of a run in hand); the earlier
        ``since`` is kept (the next digest still covers what was said since the last one)."""

    async def remove(self, channel_key: str) -> bool:
        """Stop the channel's digests; False when it had none."""

    async def due(self, now: float, platforms: Sequence[str], limit: int = 50) -> list[DigestSchedule]:
        """Schedules of channels on these platforms whose ``next_run`` is at or before ``now``, earliest first."""

    async def claim(self, channel_key: str, due: float, lease_until: float) -> DigestSchedule | None:
        """Take the run due at ``due``: only if ``next_run`` still is ``due`` (one atomic statement), it becomes
        ``lease_until`` and ``run_of`` is set to ``due`` unless a run is already in hand (an expired lease: the
        same run again). The schedule as claimed, or None when another process took it first or it changed."""

    async def finish(self, channel_key: str, leased: float, following: float, until: float | None) -> bool:
        """The run in hand is over: ``next_run`` becomes ``following`` and, with ``until`` (the digest covered the
        window up to it), ``since`` moves there (never back); only if ``next_run`` still is ``leased`` (the lease
        was not taken over, the schedule not changed). False when it was."""

    async def covered(self, channel_key: str, until: float) -> None:
        """A digest covered the channel up to ``until`` (``/digest now``): the next one starts there (``since``
        never moves back)."""
