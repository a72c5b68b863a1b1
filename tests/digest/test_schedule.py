"""Parsing ``/digest`` schedules and computing the next run: wall-clock times in IANA zones, right across the
changes to and from summer time; bad input is one clear line."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from agent.digest.schedule import USAGE, ScheduleError, Spec, local_time, next_run, parse_spec, zone_named


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_daily_and_weekly_schedules_parse() -> None:
    assert parse_spec("daily 09:00 Europe/Berlin") == Spec("daily", "09:00", "Europe/Berlin")
    assert parse_spec("Daily 9:05") == Spec("daily", "09:05", "UTC")  # no zone: the default
    assert parse_spec("daily 17:30", default_zone="America/New_York").zone == "America/New_York"
    assert parse_spec("weekly mon 09:00 Europe/Berlin") == Spec("weekly", "09:00", "Europe/Berlin", 0)
    assert parse_spec("weekly Thursday 23:59 asia/tokyo") == Spec("weekly", "23:59", "Asia/Tokyo", 3)
    assert parse_spec("weekly tu 00:00").weekday == 1 and parse_spec("weekly sun 00:00").weekday == 6
    assert parse_spec("weekly Mondays at 08:15 UTC") == Spec("weekly", "08:15", "UTC", 0)
    assert parse_spec("weekly tues 08:15").weekday == 1 and parse_spec("weekly thurs 08:15").weekday == 3
    assert parse_spec("daily at 7:45 Europe/Berlin") == Spec("daily", "07:45", "Europe/Berlin")
    assert parse_spec("weekly mon 09:00 Europe/Berlin").describe() == "every Monday at 09:00 (Europe/Berlin)"


@pytest.mark.parametrize("text, says", [
    ("", "Usage: `/digest daily HH:MM"),
    ("junk", "Usage: `/digest daily HH:MM"),
    ("hourly 09:00", "Usage:"),
    ("daily", "Usage:"),
    ("daily 25:00", "`25:00` is not a time of day"),
    ("daily 9", "`9` is not a time of day"),
    ("daily 09:60", "is not a time of day"),
    ("daily 09:00 Mars/Olympus_Mons", "I don't know the time zone `Mars/Olympus_Mons`"),
    ("daily 09:00 ../../etc/passwd", "is not a time zone"),
    ("daily 09:00 Europe/Berlin and more", "Usage:"),
    ("weekly funday 09:00", "`funday` is not a day of the week"),
    ("weekly 09:00", "is not a day of the week"),
    ("weekly", "Say which day"),
    ("daily ０９:００", "is not a time of day"),  # full-width digits
    ("daily 09:00 " + "A" * 5000, "is not a time zone"),
])
def test_bad_schedules_get_one_clear_line(text: str, says: str) -> None:
    with pytest.raises(ScheduleError) as caught:
        parse_spec(text)
    message = str(caught.value)
    assert says in message and "\n" not in message and len(message) < 300


def test_an_unknown_default_zone_is_refused() -> None:
    with pytest.raises(ScheduleError):
        zone_named("Nowhere/Land")
    assert zone_named("utc").key == "UTC"


def test_the_next_daily_run_stays_at_local_time_across_summer_time() -> None:
    berlin = parse_spec("daily 09:00 Europe/Berlin")
    # winter: UTC+1
    assert next_run(berlin, utc("2026-03-28T07:59:00")) == utc("2026-03-28T08:00:00")
    # the night of 29 March the clocks go forward: 09:00 is now UTC+2
    assert next_run(berlin, utc("2026-03-28T08:00:00")) == utc("2026-03-29T07:00:00")
    assert local_time(next_run(berlin, utc("2026-03-28T08:00:00")), "Europe/Berlin").endswith("09:00 CEST")
    # and back on 25 October
    assert next_run(berlin, utc("2026-10-24T07:00:00")) == utc("2026-10-25T08:00:00")
    # strictly after: a run at the very instant is the next day's
    assert next_run(berlin, utc("2026-10-25T08:00:00")) == utc("2026-10-26T08:00:00")


def test_a_skipped_or_repeated_wall_time_runs_once() -> None:
    night = parse_spec("daily 02:30 Europe/Berlin")  # 02:30 does not exist on 29 March, and happens twice on 25 Oct
    assert next_run(night, utc("2026-03-28T12:00:00")) == utc("2026-03-29T01:30:00")  # 03:30 CEST
    assert next_run(night, utc("2026-10-24T12:00:00")) == utc("2026-10-25T00:30:00")  # the first 02:30 (CEST)
    assert next_run(night, utc("2026-10-25T00:30:00")) == utc("2026-10-26T01:30:00")  # not again at the second


def test_the_next_weekly_run() -> None:
    monday = parse_spec("weekly mon 09:00 America/New_York")
    # 30 Nov 2026 is a Monday; 09:00 in New York is 14:00 UTC (EST)
    assert next_run(monday, utc("2026-11-30T13:59:00")) == utc("2026-11-30T14:00:00")
    assert next_run(monday, utc("2026-11-30T14:00:00")) == utc("2026-12-07T14:00:00")
    # a zone ahead of UTC: Monday 08:00 in Tokyo is Sunday 23:00 UTC
    tokyo = parse_spec("weekly mon 08:00 Asia/Tokyo")
    assert next_run(tokyo, utc("2026-11-28T12:00:00")) == utc("2026-11-29T23:00:00")
    assert next_run(tokyo, utc("2026-11-29T23:00:00")) == utc("2026-12-06T23:00:00")


def test_usage_names_every_form() -> None:
    for form in ("daily HH:MM", "weekly <mon…sun> HH:MM", "show", "now", "off"):
        assert form in USAGE


def test_the_default_zone_setting_is_checked_at_start_up(monkeypatch: pytest.MonkeyPatch) -> None:
    from agent.errors import ConfigError
    from bot.settings import load_settings

    monkeypatch.setenv("CONFAB_DIGEST_TIMEZONE", "europe/berlin")
    assert load_settings().digest_timezone == "Europe/Berlin"
    monkeypatch.setenv("CONFAB_DIGEST_TIMEZONE", "Moon/Base")
    with pytest.raises(ConfigError, match="CONFAB_DIGEST_TIMEZONE: I don't know the time zone `Moon/Base`"):
        load_settings()


def test_a_weekly_run_keeps_its_local_time_across_summer_time() -> None:
    sunday = parse_spec("weekly sun 09:00 Europe/Berlin")
    assert next_run(sunday, utc("2026-03-22T08:00:00")) == utc("2026-03-29T07:00:00")  # the morning after the change
    assert next_run(sunday, utc("2026-03-29T07:00:00")) == utc("2026-04-05T07:00:00")
    eastern = parse_spec("weekly fri 17:00 America/New_York")  # the US changes on another date (1 Nov 2026)
    assert next_run(eastern, utc("2026-10-30T21:00:00")) == utc("2026-11-06T22:00:00")
