"""Digest times and quiet hours on each chat's own wall clock, DST included."""

from datetime import UTC, datetime

import pytest

from diplobot.analysis.schedule import last_scheduled, quiet_until


def utc(*args):
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("tz", "now", "expected"),
    [
        ("Europe/Kyiv", utc(2025, 9, 4, 6, 30), utc(2025, 9, 4, 5, 0)),  # 08:00 EEST = 05:00 UTC
        ("Europe/Kyiv", utc(2025, 9, 4, 4, 59), utc(2025, 9, 3, 5, 0)),  # not yet today
        ("America/New_York", utc(2025, 9, 4, 13, 0), utc(2025, 9, 4, 12, 0)),  # 08:00 EDT
        ("Asia/Tokyo", utc(2025, 9, 4, 0, 0), utc(2025, 9, 3, 23, 0)),  # 08:00 JST next local day
    ],
)
def test_daily_digest_time_in_several_zones(tz, now, expected):
    assert last_scheduled(now, tz, "08:00") == expected


def test_digest_stays_at_eight_local_across_the_autumn_dst_change():
    before = last_scheduled(utc(2025, 10, 25, 12), "Europe/Berlin", "08:00")
    after = last_scheduled(utc(2025, 10, 26, 12), "Europe/Berlin", "08:00")
    assert (before.hour, after.hour) == (6, 7)  # 08:00 CEST, then 08:00 CET


def test_weekly_digest_finds_the_last_matching_weekday():
    # 2025-09-04 is a Thursday; the last Monday 08:00 UTC was 2025-09-01.
    assert last_scheduled(utc(2025, 9, 4, 12), "UTC", "08:00", "mon") == utc(2025, 9, 1, 8)


def test_quiet_hours_over_midnight_hold_until_the_morning():
    assert quiet_until(utc(2025, 9, 4, 23, 30), "UTC", "22:00", "07:00") == utc(2025, 9, 5, 7)
    assert quiet_until(utc(2025, 9, 5, 6, 0), "UTC", "22:00", "07:00") == utc(2025, 9, 5, 7)
    assert quiet_until(utc(2025, 9, 5, 12, 0), "UTC", "22:00", "07:00") is None


def test_quiet_hours_follow_the_chat_time_zone():
    # 20:30 UTC is 23:30 in Kyiv (EEST): quiet until 07:00 Kyiv = 04:00 UTC.
    assert quiet_until(utc(2025, 9, 4, 20, 30), "Europe/Kyiv", "22:00", "07:00") == utc(2025, 9, 5, 4)


def test_no_quiet_hours_configured_means_no_hold():
    assert quiet_until(utc(2025, 9, 4, 23), "UTC", None, None) is None
