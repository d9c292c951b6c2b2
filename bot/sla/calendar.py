"""Business-time arithmetic over a policy `Calendar`.

A calendar becomes a `Timeline`: the sorted opening intervals (UTC epoch seconds) of every local day in
a span of years, with a running total of open seconds before each interval. "Business time at instant
t" is then one bisection, so elapsed time is a subtraction and a due time is one bisection back; the
clock of every open ticket costs microseconds whatever the target. Intervals are built day by day from
local wall-clock hours through zoneinfo, so DST changes, holidays and closed dates fall out naturally.
"""

from __future__ import annotations

import threading
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from bot.policy.model import WEEKDAYS, Calendar

_MAX_YEARS_AHEAD = 50  # a calendar open so rarely that a target needs longer than this is a policy error


@lru_cache(maxsize=256)
def holiday_dates(country: str, subdivision: str | None, year: int) -> frozenset[date]:
    import holidays

    return frozenset(holidays.country_holidays(country, subdiv=subdivision, years=year).keys())


@dataclass(frozen=True)
class _Span:
    """Opening intervals covering whole UTC years [first_year, last_year]; replaced, never mutated."""

    first_year: int
    last_year: int
    lo: float  # epoch seconds covered: [lo, hi)
    hi: float
    starts: list[float]
    ends: list[float]
    before: list[float]  # open seconds before interval i, counted from the timeline's fixed origin


class Timeline:
    """Business seconds as a monotonic position on the calendar's open time."""

    def __init__(self, cal: Calendar) -> None:
        self.cal = cal
        self.always_open = cal.always_open
        self._tz = ZoneInfo(cal.timezone)
        self._spans = [cal.open_span(day) for day in WEEKDAYS]  # indexed by date.weekday()
        self._closed = frozenset(cal.closed_dates)
        self._lock = threading.Lock()
        self._span: _Span | None = None
        # Positions count from a fixed origin so that they stay comparable when the span is rebuilt
        # to cover earlier years (intervals before the origin get negative positions).
        self._origin: float | None = None

    # -- positions -------------------------------------------------------------------------------------

    def position(self, ts: float) -> float:
        """Open seconds between the timeline origin and epoch second `ts`."""
        if self.always_open:
            return ts
        span = self._span
        if span is None or not span.lo <= ts < span.hi:  # inlined: this runs for every clock
            span = self._covering(ts)
        starts = span.starts
        i = bisect_right(starts, ts) - 1
        if i < 0:
            return span.before[0] if span.before else 0.0
        start = starts[i]
        end = span.ends[i]
        return span.before[i] + (ts - start if ts < end else end - start)

    def instant(self, position: float, near: float) -> float:
        """The earliest epoch second at which the open time reaches `position`; `near` is an instant
        at or before the answer (it tells which years to build)."""
        if self.always_open:
            return position
        span = self._covering(near)
        for _ in range(_MAX_YEARS_AHEAD):
            total = span.before[-1] + span.ends[-1] - span.starts[-1] if span.starts else 0.0
            if position <= total:
                break
            span = self._extend(span.first_year, span.last_year + 1)
        else:
            raise ValueError(f"calendar has too little open time to reach the target ({self.cal!r})")
        # The last interval whose start is strictly before the target: a due time that lands exactly on
        # closing time stays on that day instead of jumping to the next opening.
        i = bisect_left(span.before, position) - 1
        if i < 0:
            return span.starts[0] if span.starts else span.lo
        return span.starts[i] + (position - span.before[i])

    def seconds_between(self, start: float, end: float) -> float:
        if end < start:
            return -self.seconds_between(end, start)
        if self.always_open:
            return end - start
        return self.position(end) - self.position(start)

    def intervals(self, lo: float, hi: float) -> tuple[list[float], list[float], list[float]]:
        """The opening intervals covering epoch seconds [lo, hi]: starts, ends and the open seconds before
        each, as `position` counts them. For callers that place many instants at once (scenarios, with
        numpy); empty lists for an always-open calendar, where a position is the instant itself."""
        if self.always_open:
            return [], [], []
        self._covering(lo)
        span = self._covering(hi)
        return span.starts, span.ends, span.before

    # -- building --------------------------------------------------------------------------------------

    def _covering(self, ts: float) -> _Span:
        span = self._span
        if span is not None and span.lo <= ts < span.hi:
            return span
        year = datetime.fromtimestamp(ts, UTC).year
        if span is None:
            return self._extend(year - 1, year + 1)
        return self._extend(min(span.first_year, year), max(span.last_year, year))

    def _extend(self, first_year: int, last_year: int) -> _Span:
        with self._lock:
            span = self._span
            if span is not None:
                if span.first_year <= first_year and last_year <= span.last_year:
                    return span
                first_year, last_year = min(first_year, span.first_year), max(last_year, span.last_year)
            if self._origin is None:
                self._origin = datetime(first_year, 1, 1, tzinfo=UTC).timestamp()
            built = self._build(first_year, last_year, self._origin)
            self._span = built
            return built

    def _build(self, first_year: int, last_year: int, origin: float) -> _Span:
        lo = datetime(first_year, 1, 1, tzinfo=UTC).timestamp()
        hi = datetime(last_year + 1, 1, 1, tzinfo=UTC).timestamp()
        starts: list[float] = []
        ends: list[float] = []
        before: list[float] = []
        total = 0.0
        # Local days from the day before to the day after the UTC range, clipped to [lo, hi).
        day = date(first_year, 1, 1) - timedelta(days=1)
        last = date(last_year, 12, 31) + timedelta(days=1)
        while day <= last:
            opening = self._open_interval(day)
            if opening is not None:
                start, end = max(opening[0], lo), min(opening[1], hi)
                if start < end:
                    starts.append(start)
                    ends.append(end)
                    before.append(total)
                    total += end - start
            day += timedelta(days=1)
        i = bisect_right(starts, origin) - 1
        shift = before[i] + min(origin - starts[i], ends[i] - starts[i]) if i >= 0 else 0.0
        before = [b - shift for b in before]
        return _Span(first_year, last_year, lo, hi, starts, ends, before)

    def _open_interval(self, day: date) -> tuple[float, float] | None:
        minutes = self._spans[day.weekday()]
        if minutes is None or day in self._closed or self._is_holiday(day):
            return None
        midnight = datetime.combine(day, time(0), tzinfo=self._tz)
        # Wall-clock arithmetic on an aware datetime keeps local hours right on DST days.
        opens = (midnight + timedelta(minutes=minutes[0])).timestamp()
        closes = (midnight + timedelta(minutes=minutes[1])).timestamp()
        return (opens, closes) if opens < closes else None

    def _is_holiday(self, day: date) -> bool:
        country = self.cal.holidays_country
        return country is not None and day in holiday_dates(country, self.cal.holidays_subdivision, day.year)


_TIMELINES: dict[int, tuple[Calendar, Timeline]] = {}
_TIMELINES_LOCK = threading.Lock()


def timeline(cal: Calendar) -> Timeline:
    """The cached timeline of a calendar (calendars are immutable, so identity is a safe key)."""
    entry = _TIMELINES.get(id(cal))
    if entry is not None and entry[0] is cal:
        return entry[1]
    with _TIMELINES_LOCK:
        if len(_TIMELINES) > 64:  # policies are reloaded rarely; forget old calendars wholesale
            _TIMELINES.clear()
        built = Timeline(cal)
        _TIMELINES[id(cal)] = (cal, built)  # holding `cal` keeps its id from being reused
        return built


def _aware(value: datetime, name: str) -> float:
    if value.tzinfo is None:
        raise ValueError(f"{name} must be timezone-aware")
    return value.timestamp()


def add_business_minutes(cal: Calendar, start: datetime, minutes: float) -> datetime:
    """When `minutes` of open time on `cal` have passed since `start` (a due time), in UTC."""
    if minutes < 0:
        raise ValueError("minutes must not be negative")
    tl = timeline(cal)
    ts = _aware(start, "start")
    if tl.always_open:
        return start.astimezone(UTC) + timedelta(minutes=minutes)
    due = tl.instant(tl.position(ts) + minutes * 60, near=ts)
    return datetime.fromtimestamp(max(due, ts), UTC)


def business_seconds_between(cal: Calendar, start: datetime, end: datetime) -> float:
    """Open seconds on `cal` from `start` to `end` (negative when `end` is earlier)."""
    return timeline(cal).seconds_between(_aware(start, "start"), _aware(end, "end"))


def business_minutes_between(cal: Calendar, start: datetime, end: datetime) -> int:
    """Whole open minutes on `cal` from `start` to `end`, truncated towards zero."""
    return int(business_seconds_between(cal, start, end) / 60)
