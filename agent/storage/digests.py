"""The digest port: each channel's digest schedule (``/digest``), claimed run by run so that however many
replicas look at it, each due digest is posted once.

One schedule per channel (keyed by ``channel_key``, so ``/forget`` removes it with the rest of the channel).
``next_run`` is the next due time in UTC; ``since`` the end of the window the last digest covered (None
before the first one). A runner lists what is :meth:`DigestStore.due`, then :meth:`DigestStore.claim`\\ s one
with a compare-and-set on its ``next_run``: only the first claim of a due value succeeds, and it moves
``next_run`` to the following run in the same statement. A missed run (every process was down at 09:00) is
one due value, however many days passed, so it runs once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, Protocol, runtime_checkable

if TYPE_CHECKING:
    from agent.storage.ports import Storage

DigestKind = Literal["daily", "weekly"]
COLUMNS = "channel_key, kind, at_time, weekday, zone, next_run, since, created_by, created_at"


@dataclass(frozen=True, slots=True)
class DigestSchedule:
    channel_key: str
    kind: DigestKind
    at: str  # "HH:MM", wall-clock time in ``zone``
    weekday: int | None  # 0 = Monday; weekly schedules only
    zone: str  # IANA name
    next_run: float  # POSIX seconds
    since: float | None  # the end of the last digest's window; None before the first digest
    created_by: str
    created_at: float

    def params(self) -> tuple[object, ...]:
        return (self.channel_key, self.kind, self.at, self.weekday, self.zone, self.next_run, self.since,
                self.created_by, self.created_at)


def schedule_from_row(row: Sequence[object]) -> DigestSchedule:
    key, kind, at, weekday, zone, next_run, since, created_by, created_at = row
    return DigestSchedule(str(key), "weekly" if kind == "weekly" else "daily", str(at),
                          None if weekday is None else int(str(weekday)), str(zone), float(str(next_run)),
                          None if since is None else float(str(since)), str(created_by), float(str(created_at)))


@runtime_checkable
class DigestStore(Protocol):
    async def get(self, channel_key: str) -> DigestSchedule | None: ...

    async def put(self, schedule: DigestSchedule) -> None:
        """Set the channel's schedule, replacing its earlier one; the earlier ``since`` is kept (the next digest
        still covers what was said since the last one)."""

    async def remove(self, channel_key: str) -> bool:
        """Stop the channel's digests; False when it had none."""

    async def due(self, now: float, platforms: Sequence[str], limit: int = 50) -> list[DigestSchedule]:
        """Schedules of channels on these platforms whose ``next_run`` is at or before ``now``, earliest first."""

    async def claim(self, channel_key: str, due: float, following: float) -> DigestSchedule | None:
        """Take the run due at ``due``: ``next_run`` becomes ``following`` only if it still is ``due`` (one atomic
        statement); the schedule as it was claimed (``since`` untouched), or None when another process took it
        first or the schedule changed or went."""

    async def covered(self, channel_key: str, until: float) -> None:
        """A digest covered the channel up to ``until``: the next one starts there (``since`` never moves back)."""


def digest_store(storage: Storage) -> DigestStore:
    """The digest schedules of an open storage (the same database and connections)."""
    from agent.storage.sqlite import SqliteStorage

    if isinstance(storage, SqliteStorage):
        from agent.storage.sqlite.digests import SqliteDigests

        return SqliteDigests(storage.db)
    from agent.storage.postgres import PostgresStorage  # psycopg is needed only in the scaled mode

    if isinstance(storage, PostgresStorage):
        from agent.storage.postgres.digests import PostgresDigests

        return PostgresDigests(storage.db)
    raise TypeError(f"no digest store for {type(storage).__name__}")
