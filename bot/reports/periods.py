"""Report periods: windows of whole UTC days ending with today (so far), and the one before each.

Rolling rather than calendar windows so that every period has a full previous period to compare with
(a quarter-to-date against a whole quarter would always look like a drop). `quarter` is 13 weeks (91
days), so it holds whole weeks like the chart. Whole days let the database group tickets by their UTC
day, a plain column prefix, instead of testing every ticket against every window's bounds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from enum import StrEnum


class ReportPeriod(StrEnum):
    WEEK = "7d"
    MONTH = "30d"
    QUARTER = "quarter"

    @property
    def days(self) -> int:
        return {ReportPeriod.WEEK: 7, ReportPeriod.MONTH: 30, ReportPeriod.QUARTER: 91}[self]


DEFAULT_PERIOD = ReportPeriod.MONTH
CHART_WEEKS = 12
WEEK = timedelta(days=7)


def parse_period(text: str | None) -> ReportPeriod | None:
    """`7d`, `30d` or `quarter` (also `q`, `week`, `month`); empty -> the default; None when unknown."""
    word = (text or "").strip().casefold()
    if not word:
        return DEFAULT_PERIOD
    aliases = {"week": "7d", "7": "7d", "month": "30d", "30": "30d", "q": "quarter", "90d": "quarter"}
    try:
        return ReportPeriod(aliases.get(word, word))
    except ValueError:
        return None


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime  # exclusive


@dataclass(frozen=True)
class Windows:
    current: Window
    previous: Window
    weeks: tuple[Window, ...]  # CHART_WEEKS rolling weeks, oldest first; the last ends at `now`

    @property
    def earliest(self) -> datetime:
        return min(self.previous.start, self.weeks[0].start)


def day_end(now: datetime) -> datetime:
    """Midnight UTC after `now`: the end of every window of a report made at `now`."""
    return datetime.combine(now.astimezone(UTC).date() + timedelta(days=1), time(), UTC)


def windows(period: ReportPeriod, now: datetime) -> Windows:
    span = timedelta(days=period.days)
    now = day_end(now)
    current = Window(now - span, now)
    previous = Window(now - 2 * span, now - span)
    weeks = tuple(
        Window(now - (CHART_WEEKS - i) * WEEK, now - (CHART_WEEKS - 1 - i) * WEEK) for i in range(CHART_WEEKS)
    )
    return Windows(current, previous, weeks)
