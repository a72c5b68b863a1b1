"""Parse what ``/summarize`` should read: ``last 50``, ``since 2h``, ``since yesterday``, ``today`` or nothing,
and optionally what about: ``about <topic>`` at the end (``/summarize since monday about the export cap``).

Times are UTC (chat platforms don't tell us the reader's time zone). A scope that makes no sense raises
:class:`ScopeError` with a message that can be shown as is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from agent.summarize.model import MAX_MESSAGES
from agent.words import content_words

DEFAULT_CHANNEL_HOURS = 24
DEFAULT_CHANNEL_MIN = 100  # a quiet channel: at least the last this many messages

_UNITS = {
    "m": 60, "min": 60, "mins": 60, "minute": 60, "minutes": 60,
    "h": 3600, "hr": 3600, "hrs": 3600, "hour": 3600, "hours": 3600,
    "d": 86400, "day": 86400, "days": 86400,
    "w": 604800, "week": 604800, "weeks": 604800,
}
_UNIT_NAMES = {60: "minute", 3600: "hour", 86400: "day", 604800: "week"}
_LAST_N = re.compile(r"^(?:last\s+)?(\d+)(?:\s+(?:messages?|msgs?))?$")
_DURATION = re.compile(r"^(?:since\s+|last\s+|past\s+)?(\d+)\s*([a-z]+)(?:\s+ago)?$")
_ONE_UNIT = re.compile(r"^(?:last|past)\s+(?:one\s+)?([a-z]+)$")  # "the last hour", "past day"
_UNIT_WORDS = "|".join(sorted(_UNITS, key=len, reverse=True))
# the window in a request written as a sentence ("@confab summarize the last 2 hours", "… since monday", "… last 50"):
# "last 2 hours" is two hours, never the last 2 messages
IN_TEXT = re.compile(rf"\b(?:(?:last|past)\s+(?:\d+\s*(?:{_UNIT_WORDS})\b|\d+(?:\s+(?:messages?|msgs?))?|"
                     rf"(?:one\s+)?(?:minute|hour|day|week)\b)|since [\w ]+|today|yesterday)\b", re.I)
# what a request written as a sentence is about ("@confab summarize what was said about the release"): the rest of
# its sentence after "about" (or "regarding"), the window left out
TOPIC_IN_TEXT = re.compile(r"\b(?:about|regarding)\s+(?P<topic>[^?.!\n]*\w)", re.I)
_FILLER = re.compile(r"^(?:(?:of|for|from|the|messages|conversation|chat|channel|thread|this)\s+)+|"
                     r"(?:\s+(?:please|pls|thanks|thank you|for me))+$")
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

USAGE = ("Try `/summarize`, `/summarize last 50`, `/summarize since 2h`, `/summarize since yesterday` "
         "or `/summarize today`, and add `about <topic>` to summarize only what was said about it.")
_ABOUT = re.compile(r"(?i)(?:^|\s)about\s*:?\s*")
MAX_TOPIC_CHARS = 200


class ScopeError(ValueError):
    """A scope that can't be understood; ``str(error)`` is a user-facing sentence."""


@dataclass(frozen=True, slots=True)
class Scope:
    label: str  # how the summary describes its window
    since: datetime | None = None
    until: datetime | None = None
    limit: int = MAX_MESSAGES
    default: bool = False  # no scope given: the whole thread, or the channel's recent messages
    topic: str | None = None  # "about <topic>": only what was said about it


def scope_in_text(text: str) -> str:
    """The scope a request written as a sentence asks for, as ``/summarize`` takes it: "summarize the last 2
    hours about the release" -> "last 2 hours about the release"; "" for none."""
    window = IN_TEXT.search(text)
    about = TOPIC_IN_TEXT.search(text)
    topic = " ".join(IN_TEXT.sub(" ", about.group("topic")).split()) if about else ""
    return " ".join(part for part in (window.group(0) if window else "", f"about {topic}" if topic else "") if part)


def parse_scope(text: str, now: datetime | None = None) -> Scope:
    """The window (and topic) ``text`` asks for; :class:`ScopeError` when it makes no sense."""
    window, topic = _split_topic(text or "")
    scope = _parse_window(window, now)
    return replace(scope, topic=topic) if topic is not None else scope


def _split_topic(text: str) -> tuple[str, str | None]:
    match = _ABOUT.search(text)
    if match is None:
        return text, None
    topic = " ".join(text[match.end():].split()).strip(" ?!.,:;\"'")
    if not content_words([topic])[0]:  # nothing, or no word to look for ("about the", "about 🤔")
        raise ScopeError("About what? Add a topic: `/summarize about the release date`.")
    if len(topic) > MAX_TOPIC_CHARS:
        raise ScopeError(f"That topic is long; say it in fewer than {MAX_TOPIC_CHARS} characters.")
    return text[:match.start()], topic


def _parse_window(text: str, now: datetime | None = None) -> Scope:
    now = now or datetime.now(UTC)
    raw = _FILLER.sub("", " ".join((text or "").lower().split()).strip(" ?!.,:;")).strip()
    if raw in ("", "all", "thread", "everything", "whole thread"):
        return Scope("recent messages", default=True)
    if raw in ("today", "since today"):
        return Scope("today", since=_midnight(now))
    if raw in ("yesterday",):
        return Scope("yesterday", since=_midnight(now) - timedelta(days=1), until=_midnight(now))
    if raw == "since yesterday":
        return Scope("since yesterday", since=_midnight(now) - timedelta(days=1))
    if raw in ("since last week", "this week", "last week", "past week"):
        return Scope("the past week", since=now - timedelta(days=7))
    if match := _LAST_N.match(raw):
        count = _number(match.group(1))
        if count == 0:
            raise ScopeError("`last 0` leaves nothing to summarize. " + USAGE)
        if count > MAX_MESSAGES:
            raise ScopeError(f"I read at most {MAX_MESSAGES:,} messages per summary; ask for fewer. " + USAGE)
        return Scope(f"the last {count:,} messages", limit=count)
    if (match := _ONE_UNIT.match(raw)) and match.group(1) in _UNITS:
        seconds = _UNITS[match.group(1)]
        return Scope(f"the last {_UNIT_NAMES[seconds]}", since=now - timedelta(seconds=seconds))
    if match := _DURATION.match(raw):
        amount, unit = _number(match.group(1)), match.group(2)
        if unit not in _UNITS:
            raise ScopeError(f"I don't know the time unit `{unit}`. " + USAGE)
        if amount == 0:
            raise ScopeError("A window of zero length has nothing to summarize. " + USAGE)
        seconds = amount * _UNITS[unit]
        if seconds > 366 * 86400:
            raise ScopeError("That window is longer than a year; ask for a shorter one. " + USAGE)
        name = _UNIT_NAMES[_UNITS[unit]]  # "since 2h": "the last 2 hours"
        return Scope(f"the last {amount} {name}{'' if amount == 1 else 's'}", since=now - timedelta(seconds=seconds))
    day = raw.removeprefix("since ")
    if day in _WEEKDAYS:
        back = (now.weekday() - _WEEKDAYS.index(day)) % 7 or 7
        return Scope(f"since {day.capitalize()}", since=_midnight(now) - timedelta(days=back))
    if day in ("tomorrow", "next week", "later", "the future") or day.startswith(("next ", "in ")):
        raise ScopeError(f"`{text.strip()[:40]}` is in the future, so there is nothing to summarize yet. " + USAGE)
    raise ScopeError(f"I don't understand the scope `{text.strip()[:40]}`. " + USAGE)


def _number(digits: str) -> int:
    """``digits`` as a number, any length: past nine digits it is only "too many" (Python refuses to read a string
    of more than 4,300 digits, and "last 99999999999999999999" deserves the limit, not "I don't understand")."""
    return int(digits) if len(digits) <= 9 else 10**9


def _midnight(now: datetime) -> datetime:
    return now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
