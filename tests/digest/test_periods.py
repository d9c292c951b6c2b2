"""Periods in the subscription's time zone: keys, DST, holidays, business hours, epoch buckets."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.digest.periods import Cadence, CadenceError, bucket, next_occurrence, occurrences, zone
from bot.policy.model import Calendar
from tests.schedule.conftest import utc


def test_daily_period_key_is_local_time_with_offset() -> None:
    cad = Cadence("daily", "Europe/Paris", "09:00")
    found = occurrences(cad, utc(2026, 11, 22, 12), utc(2026, 11, 23, 12))
    assert [(o.key, o.at) for o in found] == [("daily:2026-11-23T09:00+01:00", utc(2026, 11, 23, 8))]


def test_window_is_open_at_start_and_closed_at_end() -> None:
    cad = Cadence("daily", "UTC", "09:00")
    assert occurrences(cad, utc(2026, 11, 23, 9), utc(2026, 11, 24, 9)) == occurrences(
        cad, utc(2026, 11, 23, 9, 0, 1), utc(2026, 11, 24, 9)
    )
    assert len(occurrences(cad, utc(2026, 11, 23, 8, 59), utc(2026, 11, 23, 9))) == 1
    assert occurrences(cad, utc(2026, 11, 23, 8), utc(2026, 11, 23, 8, 59)) == []


def test_dst_changes_keep_local_nine_oclock() -> None:
    cad = Cadence("daily", "Europe/Paris", "09:00")
    found = occurrences(cad, utc(2026, 3, 28), utc(2026, 3, 30, 12))
    # Before the switch 09:00 is 08:00 UTC, after it 07:00 UTC.
    assert [o.at for o in found] == [utc(2026, 3, 28, 8), utc(2026, 3, 29, 7), utc(2026, 3, 30, 7)]
    assert found[1].key == "daily:2026-03-29T09:00+02:00"
    autumn = occurrences(cad, utc(2026, 10, 24), utc(2026, 10, 26, 12))
    assert [o.at for o in autumn] == [utc(2026, 10, 24, 7), utc(2026, 10, 25, 8), utc(2026, 10, 26, 8)]


def test_time_in_the_spring_gap_posts_once_just_after_it_and_the_fold_posts_once() -> None:
    gap = occurrences(Cadence("daily", "Europe/Paris", "02:30"), utc(2026, 3, 29), utc(2026, 3, 30))
    assert [o.key for o in gap] == ["daily:2026-03-29T03:30+02:00"]
    fold = occurrences(Cadence("daily", "Europe/Paris", "02:30"), utc(2026, 10, 25), utc(2026, 10, 26))
    assert len(fold) == 1 and fold[0].key == "daily:2026-10-25T02:30+02:00"


def test_hourly_follows_business_hours_in_the_channel_zone() -> None:
    business = Calendar(timezone="America/New_York", hours={"mon": "09:00-17:00", "tue": "10:00-12:00"})
    cad = Cadence("hourly", "Europe/Paris")
    monday = occurrences(cad, utc(2026, 11, 22, 23), utc(2026, 11, 24, 23), business)
    keys = [o.key for o in monday]
    assert keys[0] == "hourly:2026-11-23T09:00+01:00" and keys[7] == "hourly:2026-11-23T16:00+01:00"
    assert keys[8:] == ["hourly:2026-11-24T10:00+01:00", "hourly:2026-11-24T11:00+01:00"]


def test_hourly_without_a_business_calendar_is_nine_to_five_weekdays() -> None:
    cad = Cadence("hourly", "UTC")
    week = occurrences(cad, utc(2026, 11, 21), utc(2026, 11, 28))  # Saturday to Saturday
    assert len(week) == 5 * 8
    assert {o.at.weekday() for o in week} == {0, 1, 2, 3, 4}


def test_weekly_and_holidays() -> None:
    cad = Cadence("weekly", "America/New_York", "09:00", weekday=3, skip_holidays="US")  # Thursdays
    found = occurrences(cad, utc(2026, 11, 18), utc(2026, 12, 5))
    # 26 Nov 2026 is Thanksgiving: skipped.
    assert [o.key for o in found] == ["weekly:2026-11-19T09:00-05:00", "weekly:2026-12-03T09:00-05:00"]
    plain = occurrences(Cadence("daily", "America/New_York", "09:00"), utc(2026, 11, 26), utc(2026, 11, 27))
    assert len(plain) == 1


def test_next_occurrence_and_bad_zone() -> None:
    cad = Cadence("weekly", "UTC", "09:00", weekday=0)
    nxt = next_occurrence(cad, utc(2026, 11, 24))
    assert nxt is not None and nxt.at == utc(2026, 11, 30, 9)
    with pytest.raises(CadenceError):
        zone("Mars/Olympus")


def test_buckets_are_aligned_and_stable() -> None:
    key, start = bucket(utc(2026, 11, 23, 10, 59), 60)
    assert key == "every60m:2026-11-23T10:00+00:00" and start == utc(2026, 11, 23, 10)
    assert bucket(utc(2026, 11, 23, 10, 0), 60)[0] == key
    assert bucket(utc(2026, 11, 23, 10, 0) + timedelta(hours=1), 60)[0] != key
