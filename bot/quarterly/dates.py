"""Review dates: the start of the next calendar quarter for a first review, a quarter after each one held."""

from __future__ import annotations

import calendar
from datetime import UTC, datetime


def next_quarter_start(now: datetime) -> datetime:
    """Midnight UTC on the first day of the calendar quarter after `now`'s."""
    now = now.astimezone(UTC)
    month = (now.month - 1) // 3 * 3 + 4
    year = now.year + (month > 12)
    return datetime(year, (month - 1) % 12 + 1, 1, tzinfo=UTC)


def quarter_after(held: datetime) -> datetime:
    """Three calendar months after a review held, on the same day (the month's last day when shorter),
    at midnight UTC."""
    held = held.astimezone(UTC)
    month = held.month + 3
    year = held.year + (month > 12)
    month = (month - 1) % 12 + 1
    day = min(held.day, calendar.monthrange(year, month)[1])
    return datetime(year, month, day, tzinfo=UTC)
