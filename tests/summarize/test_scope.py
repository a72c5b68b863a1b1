from datetime import UTC, datetime, timedelta

import pytest

from agent.summarize.model import MAX_MESSAGES
from agent.summarize.scope import ScopeError, parse_scope

NOW = datetime(2026, 11, 22, 15, 30, tzinfo=UTC)


def test_empty_scope_is_the_default_window() -> None:
    scope = parse_scope("", NOW)
    assert scope.default and scope.since is None and scope.limit == MAX_MESSAGES


def test_last_n_messages() -> None:
    assert parse_scope("last 50", NOW).limit == 50
    assert parse_scope("  LAST   7 messages ", NOW).limit == 7


def test_since_duration() -> None:
    assert parse_scope("since 2h", NOW).since == NOW - timedelta(hours=2)
    assert parse_scope("since 90 minutes", NOW).since == NOW - timedelta(minutes=90)
    assert parse_scope("last 3 days", NOW).since == NOW - timedelta(days=3)


def test_one_unit_said_without_a_number_and_units_named_in_full() -> None:
    """"/summarize the last hour" was "I don't understand the scope"; "since 2h" was told as "the last 2 h"."""
    hour = parse_scope("the last hour", NOW)
    assert (hour.since, hour.label) == (NOW - timedelta(hours=1), "the last hour")
    assert parse_scope("past day", NOW).since == NOW - timedelta(days=1)
    assert parse_scope("since 2h", NOW).label == "the last 2 hours"
    assert parse_scope("past 1 minute", NOW).label == "the last 1 minute"
    with pytest.raises(ScopeError):
        parse_scope("last time", NOW)


def test_calendar_words_use_utc_midnight() -> None:
    midnight = datetime(2026, 11, 22, tzinfo=UTC)
    assert parse_scope("today", NOW).since == midnight
    assert parse_scope("since yesterday", NOW).since == midnight - timedelta(days=1)
    yesterday = parse_scope("yesterday", NOW)
    assert (yesterday.since, yesterday.until) == (midnight - timedelta(days=1), midnight)
    assert parse_scope("since monday", NOW).since == datetime(2026, 11, 16, tzinfo=UTC)  # NOW is a Sunday


@pytest.mark.parametrize("text", ["since tomorrow", "next week", "since banana", "last 0", "since 0h",
                                  "since 5 fortnights", "last 99999999", "since 400 days", "🙃"])
def test_nonsense_scopes_raise_a_readable_error(text: str) -> None:
    with pytest.raises(ScopeError) as info:
        parse_scope(text, NOW)
    assert "/summarize" in str(info.value)


@pytest.mark.parametrize("text", ["last 99999999999999999999", "last " + "9" * 5000, "99999999999 messages"])
def test_a_huge_count_is_told_the_limit(text: str) -> None:
    with pytest.raises(ScopeError, match="at most"):
        parse_scope(text, NOW)
    with pytest.raises(ScopeError, match="longer than a year"):
        parse_scope(text.replace("messages", "").strip() + " hours", NOW)


def test_future_scope_says_why() -> None:
    with pytest.raises(ScopeError, match="future"):
        parse_scope("since tomorrow", NOW)


def test_scope_tolerates_polite_wrapping() -> None:
    assert parse_scope("since yesterday please?", NOW).label == "since yesterday"
    assert parse_scope("the last 20 messages", NOW).limit == 20
    assert parse_scope("this thread", NOW).default


def test_about_a_topic_with_or_without_a_window() -> None:
    now = datetime(2026, 3, 4, 15, 30, tzinfo=UTC)
    scope = parse_scope("since 2h about the export cap?", now)
    assert scope.since == now - timedelta(hours=2) and scope.topic == "the export cap"
    assert parse_scope("about: Public transport").topic == "Public transport"
    assert parse_scope("last 50 about the release").limit == 50
    assert parse_scope("today").topic is None


@pytest.mark.parametrize("text", ["about", "since 2h about ?", "about " + "x" * 300,
                                  "about the", "today about 🤔"])  # no word to look for: "nothing is about the"
def test_about_needs_a_short_topic(text: str) -> None:
    with pytest.raises(ScopeError):
        parse_scope(text)
