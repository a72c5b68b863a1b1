"""Digest schedules as people type them (``daily 09:00 Europe/Berlin``, ``weekly mon 09:00``) and their next run.

Times are wall-clock times in an IANA time zone (``zoneinfo``, with the ``tzdata`` package where the system has
no zone database), so 09:00 in Berlin stays 09:00 local across the change to and from summer time. A wall time
that does not exist on a day (02:30 on the night clocks go forward) runs as if the clocks had not changed yet,
that is at 03:30 local; one that happens twice (the night they go back) runs at its first occurrence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

Kind = Literal["daily", "weekly"]
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
USAGE = ("Usage: `/digest daily HH:MM [Area/City]`, `/digest weekly <mon…sun> HH:MM [Area/City]`, "
         "`/digest show`, `/digest now` or `/digest off` (e.g. `/digest daily 09:00 Europe/Berlin`).")
_TIME = re.compile(r"^([01]?\d|2[0-3])[:.h]([0-5]\d)$")
_ZONE = re.compile(r"^[A-Za-z][A-Za-z0-9_+\-]*(?:/[A-Za-z0-9_+\-]+){0,2}$")
_MAX_ARG_CHARS = 200


class ScheduleError(ValueError):
    """A schedule that can't be understood; ``str(error)`` is one user-facing line."""


@dataclass(frozen=True, slots=True)
class Spec:
    """When a channel's digest runs: ``at`` (``HH:MM``) every day, or every week on ``weekday`` (0 = Monday),
    in ``zone``."""

    kind: Kind
    at: str
    zone: str
    weekday: int | None = None

    def describe(self) -> str:
        """E.g. "every Monday at 09:00 (Europe/Berlin)"."""
        day = "every day" if self.weekday is None else f"every {WEEKDAY_NAMES[self.weekday]}"
        return f"{day} at {self.at} ({self.zone})"

    @property
    def period(self) -> timedelta:
        return timedelta(days=1 if self.kind == "daily" else 7)


def zone_named(name: str) -> ZoneInfo:
    """The IANA zone ``name`` (``Europe/Berlin``, ``UTC``; any case); ScheduleError for an unknown one."""
    name = name.strip()
    if not _ZONE.match(name) or len(name) > 64:
        raise ScheduleError(f"`{name[:64]}` is not a time zone: use an IANA name such as `Europe/Berlin` or `UTC`.")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        pass
    wanted = name.lower()  # "europe/berlin" as typed on a phone
    for known in available_timezones():
        if known.lower() == wanted:
            return ZoneInfo(known)
    raise ScheduleError(f"I don't know the time zone `{name[:64]}`: use an IANA name such as `Europe/Berlin`, "
                        "`America/New_York` or `UTC`.")


def parse_spec(args: str, default_zone: str = "UTC") -> Spec:
    """``daily HH:MM [zone]`` or ``weekly <weekday> HH:MM [zone]``; ScheduleError (with the usage) otherwise."""
    words = " ".join(args.split())[:_MAX_ARG_CHARS].split(" ")
    kind = words[0].lower() if words and words[0] else ""
    if kind not in ("daily", "weekly"):
        raise ScheduleError(USAGE)
    rest = words[1:]
    weekday: int | None = None
    if kind == "weekly":
        if not rest:
            raise ScheduleError("Say which day, e.g. `/digest weekly mon 09:00 Europe/Berlin`.")
        weekday = weekday_of(rest[0])
        rest = rest[1:]
    if rest and rest[0].lower() == "at":  # "daily at 09:00"
        rest = rest[1:]
    if not rest or len(rest) > 2:
        raise ScheduleError(USAGE)
    match = _TIME.match(rest[0])
    if match is None:
        raise ScheduleError(f"`{rest[0][:20]}` is not a time of day: use 24-hour `HH:MM` (00:00 to 23:59), "
                            "e.g. `/digest daily 09:00`.")
    at = f"{int(match.group(1)):02d}:{match.group(2)}"
    zone = zone_named(rest[1] if len(rest) == 2 else default_zone).key
    return Spec(kind, at, zone, weekday)  # type: ignore[arg-type]


def weekday_of(word: str) -> int:
    """``mon`` / ``Monday`` / ``tues`` … as 0..6; ScheduleError otherwise."""
    lowered = word.lower().rstrip(".,")
    lowered = lowered[:-1] if len(lowered) > 3 and lowered.endswith("s") else lowered  # "mondays", "tues"
    for number, full in enumerate(WEEKDAY_NAMES):  # two letters already tell the days apart (mo, tu, … su)
        if len(lowered) >= 2 and full.lower().startswith(lowered):
            return number
    raise ScheduleError(f"`{word[:20]}` is not a day of the week: use mon, tue, wed, thu, fri, sat or sun.")


def next_run(spec: Spec, after: datetime) -> datetime:
    """The first run strictly after ``after`` (aware), in UTC."""
    zone = ZoneInfo(spec.zone)
    hour, minute = (int(part) for part in spec.at.split(":"))
    day: date = after.astimezone(zone).date() - timedelta(days=1)  # a run "yesterday" local may still be ahead
    for _ in range(16):
        if spec.weekday is None or day.weekday() == spec.weekday:
            # fold=0: an hour that repeats runs the first time; one that is skipped, as if the clocks had not changed
            run = datetime.combine(day, time(hour, minute), tzinfo=zone).astimezone(UTC)
            if run > after:
                return run
        day += timedelta(days=1)
    raise AssertionError("no run within 16 days")  # pragma: no cover  (a week always has the weekday)


def local_time(at: datetime, zone: str) -> str:
    """``at`` as people in ``zone`` read it: "Mon 30 Nov 09:00 CET"."""
    return at.astimezone(ZoneInfo(zone)).strftime("%a %d %b %H:%M %Z").strip()
