from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.policy.model import WEEKDAYS, Calendar, load_policy
from bot.sla.calendar import add_business_minutes, business_minutes_between

NY = ZoneInfo("America/New_York")
BUSINESS = load_policy().calendars["business"]  # 09:00-17:00 Mon-Fri, America/New_York, US holidays


def ny(*args: int) -> datetime:
    return datetime(*args, tzinfo=NY)


def test_friday_evening_ticket_is_due_monday():
    due = add_business_minutes(BUSINESS, ny(2026, 11, 20, 18, 30), 240)
    assert due == ny(2026, 11, 23, 13, 0)
    assert due.tzinfo == UTC
    assert business_minutes_between(BUSINESS, ny(2026, 11, 20, 18, 30), ny(2026, 11, 23, 13, 0)) == 240


def test_due_exactly_at_closing_stays_on_that_day():
    assert add_business_minutes(BUSINESS, ny(2026, 11, 20, 9, 0), 480) == ny(2026, 11, 20, 17, 0)
    assert add_business_minutes(BUSINESS, ny(2026, 11, 20, 9, 0), 481) == ny(2026, 11, 23, 9, 1)


def test_thanksgiving_is_skipped():
    # Wed 16:00 + 4h: one hour on Wednesday, Thursday 26th is Thanksgiving, Friday is a working day.
    assert add_business_minutes(BUSINESS, ny(2026, 11, 25, 16, 0), 240) == ny(2026, 11, 27, 12, 0)
    assert business_minutes_between(BUSINESS, ny(2026, 11, 25, 9, 0), ny(2026, 11, 27, 9, 0)) == 480


def test_spring_forward_weekend():
    # 2026-03-08: clocks jump from 02:00 EST to 03:00 EDT; opening hours follow local time.
    due = add_business_minutes(BUSINESS, ny(2026, 3, 6, 16, 0), 120)
    assert due == ny(2026, 3, 9, 10, 0)
    assert due == datetime(2026, 3, 9, 14, 0, tzinfo=UTC)  # 10:00 EDT, not 15:00 UTC as in EST
    assert business_minutes_between(BUSINESS, ny(2026, 3, 6, 9, 0), ny(2026, 3, 9, 9, 0)) == 480


def test_fall_back_weekend():
    due = add_business_minutes(BUSINESS, ny(2026, 10, 30, 16, 0), 120)
    assert due == datetime(2026, 11, 2, 15, 0, tzinfo=UTC)  # 10:00 EST


def test_dst_days_have_23_and_25_hours_on_a_round_the_clock_calendar():
    cal = Calendar(timezone="America/New_York", hours=dict.fromkeys(WEEKDAYS, "00:00-24:00"))
    assert business_minutes_between(cal, ny(2026, 3, 8), ny(2026, 3, 9)) == 23 * 60
    assert business_minutes_between(cal, ny(2026, 11, 1), ny(2026, 11, 2)) == 25 * 60
    assert business_minutes_between(cal, ny(2026, 11, 2), ny(2026, 11, 3)) == 24 * 60


def test_closed_dates_and_christmas():
    cal = BUSINESS.model_copy(update={"closed_dates": (date(2026, 12, 24),)})
    # Wed 23rd 16:00 + 2h: Thursday is a closed date, Friday 25th is Christmas.
    assert add_business_minutes(cal, ny(2026, 12, 23, 16, 0), 120) == ny(2026, 12, 28, 10, 0)
    assert add_business_minutes(BUSINESS, ny(2026, 12, 23, 16, 0), 120) == ny(2026, 12, 24, 10, 0)


def test_japanese_holiday_and_timezone():
    cal = Calendar(
        timezone="Asia/Tokyo",
        holidays_country="JP",
        hours={d: "09:00-18:00" for d in ("mon", "tue", "wed", "thu", "fri")},
    )
    tokyo = ZoneInfo("Asia/Tokyo")
    # Fri 2026-11-20 17:00 JST + 2h: 1h Friday; Monday 23rd is Labour Thanksgiving Day; Tuesday 10:00.
    due = add_business_minutes(cal, datetime(2026, 11, 20, 17, 0, tzinfo=tokyo), 120)
    assert due == datetime(2026, 11, 24, 10, 0, tzinfo=tokyo)


def test_always_open_is_wall_clock_minutes():
    cal = Calendar(always_open=True)
    start = ny(2026, 3, 7, 23, 0)
    # Five real hours; the local clock shows six because of the DST jump.
    assert (
        add_business_minutes(cal, start, 300)
        == datetime(2026, 3, 8, 9, 0, tzinfo=UTC)
        == ny(2026, 3, 8, 5, 0)
    )
    assert business_minutes_between(cal, start, ny(2026, 3, 8, 5, 0)) == 300


def test_starting_while_closed_with_zero_minutes_returns_the_start():
    saturday = ny(2026, 11, 21, 10, 0)
    assert add_business_minutes(BUSINESS, saturday, 0) == saturday


def test_reversed_interval_is_negative_and_naive_times_are_refused():
    assert business_minutes_between(BUSINESS, ny(2026, 11, 23, 10, 0), ny(2026, 11, 20, 16, 0)) == -120
    with pytest.raises(ValueError):
        business_minutes_between(BUSINESS, datetime(2026, 11, 20, 9, 0), ny(2026, 11, 20, 10, 0))


def test_spans_across_years_in_both_directions():
    # Building a later year first, then an earlier one, must keep positions comparable.
    assert business_minutes_between(BUSINESS, ny(2030, 1, 7, 9, 0), ny(2030, 1, 8, 9, 0)) == 480
    assert business_minutes_between(BUSINESS, ny(2019, 12, 31, 16, 0), ny(2030, 1, 8, 9, 0)) > 0
    assert business_minutes_between(BUSINESS, ny(2026, 12, 31, 16, 0), ny(2027, 1, 4, 10, 0)) == 120
