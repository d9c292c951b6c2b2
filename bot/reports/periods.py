"""Report periods: rolling windows ending at `now`, and the one before each for the change.

Rolling rather than calendar windows so that every period has a full previous period to compare with
(a quarter-to-date against a whole quarter would always look like a drop). `quarter` is 13 weeks (91
days), so it holds whole weeks like the chart.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
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


def windows(period: ReportPeriod, now: datetime) -> Windows:
    span = timedelta(days=period.days)
    current = Window(now - span, now)
    previous = Window(now - 2 * span, now - span)
    weeks = tuple(
        Window(now - (CHART_WEEKS - i) * WEEK, now - (CHART_WEEKS - 1 - i) * WEEK) for i in range(CHART_WEEKS)
    )
    return Windows(current, previous, weeks)
