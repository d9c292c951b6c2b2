"""Cadences and their periods: when a subscription is due, in the subscription's own time zone.

A period is named by its local start with the UTC offset in force then (`daily:2026-11-23T09:00+01:00`),
so the name is the same in every process and across restarts: the delivery ledger keys on it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.policy.model import WEEKDAYS, Calendar


class CadenceKind(StrEnum):
    HOURLY = "hourly"
    DAILY = "daily"
    WEEKLY = "weekly"


HOURLY, DAILY, WEEKLY = CadenceKind.HOURLY, CadenceKind.DAILY, CadenceKind.WEEKLY
CADENCES = tuple(CadenceKind)
DEFAULT_OPEN = (9 * 60, 17 * 60)  # business hours when the policy has no `business` calendar
WORKDAYS = frozenset(range(5))


class Problem(StrEnum):
    """Why a schedule (or a `/digest` argument) was refused; `bot.views.digest_subs` words each one."""

    BAD_ZONE = "bad_zone"
    BAD_TIME = "bad_time"
    BAD_TIME_OF_DAY = "bad_time_of_day"
    BAD_WEEKDAY = "bad_weekday"
    NO_HOLIDAY_CALENDAR = "no_holiday_calendar"
    CHANNEL_NAME = "channel_name"  # a bare #name: only a picked channel link carries its id
    TWO_CADENCES = "two_cadences"
    NO_WEEKDAY = "no_weekday"
    HOURLY_WITH_TIME = "hourly_with_time"
    TIME_MISPLACED = "time_misplaced"
    UNKNOWN_WORD = "unknown_word"
    NO_CADENCE = "no_cadence"


@dataclass(frozen=True)
class CadenceRefusal:
    """A refused schedule: the problem, the text the person typed (raw), and the valid choices."""

    problem: Problem
    value: str = ""
    options: tuple[str, ...] = ()


class CadenceError(ValueError):
    """A schedule that cannot be used; `refusal` says why, in data (the views write the sentence)."""

    def __init__(self, problem: Problem, value: str = "", options: tuple[str, ...] = ()) -> None:
        super().__init__(f"{problem}: {value!r}" if value else str(problem))
        self.refusal = CadenceRefusal(problem, value, options)


@dataclass(frozen=True)
class Cadence:
    kind: str  # a CadenceKind (stored as its string)
    tz: str
    at_time: str | None = None  # "HH:MM" for daily and weekly
    weekday: int | None = None  # 0 = Monday, weekly only
    skip_holidays: str | None = None  # country code understood by `holidays`

    @property
    def zone(self) -> ZoneInfo:
        return zone(self.tz)


@dataclass(frozen=True)
class Occurrence:
    key: str  # the ledger's period
    at: datetime  # aware, UTC


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise CadenceError(Problem.BAD_ZONE, name) from exc


def parse_time(text: str) -> str:
    try:
        hour, minute = (int(part) for part in text.split(":"))
    except ValueError as exc:
        raise CadenceError(Problem.BAD_TIME, text) from exc
    if not (0 <= hour < 24 and 0 <= minute < 60):
        raise CadenceError(Problem.BAD_TIME_OF_DAY, text)
    return f"{hour:02d}:{minute:02d}"


def parse_weekday(text: str) -> int:
    key = text.strip().casefold()[:3]
    if key not in WEEKDAYS:
        raise CadenceError(Problem.BAD_WEEKDAY, text)
    return WEEKDAYS.index(key)


def validate_country(code: str) -> str:
    import holidays

    upper = code.strip().upper()
    if upper not in holidays.list_supported_countries():
        raise CadenceError(Problem.NO_HOLIDAY_CALENDAR, code)
    return upper


@lru_cache(maxsize=256)
def _holidays(country: str, year: int) -> frozenset[date]:
    import holidays

    return frozenset(holidays.country_holidays(country, years=year).keys())


def is_holiday(country: str | None, day: date) -> bool:
    return country is not None and day in _holidays(country, day.year)


def _local(day: date, at: time, tz: ZoneInfo) -> datetime:
    """The instant of a local wall time. A time that does not exist (the spring-forward gap) lands
    just after the gap; a time that happens twice (the autumn fold) is its first occurrence."""
    naive = datetime.combine(day, at)
    return naive.replace(tzinfo=tz).astimezone(UTC).astimezone(tz)


def _key(kind: str, local: datetime) -> str:
    return f"{kind}:{local.isoformat(timespec='minutes')}"


def _open_span(business: Calendar | None, day: date) -> tuple[int, int] | None:
    if business is None or business.always_open or not business.hours:
        return DEFAULT_OPEN if day.weekday() in WORKDAYS else None
    return business.open_span(WEEKDAYS[day.weekday()])


def _candidates(cadence: Cadence, day: date, business: Calendar | None) -> Iterator[datetime]:
    tz = cadence.zone
    if cadence.kind == HOURLY:
        span = _open_span(business, day)
        if span is None:
            return
        start, end = span
        seen: set[datetime] = set()
        for hour in range(24):
            if start <= hour * 60 < end:
                local = _local(day, time(hour), tz)
                # In a spring-forward gap two wall hours map to the same instant: post it once.
                if local not in seen and local.date() == day:
                    seen.add(local)
                    yield local
        return
    if cadence.kind == WEEKLY and day.weekday() != cadence.weekday:
        return
    hh, mm = (int(p) for p in (cadence.at_time or "09:00").split(":"))
    yield _local(day, time(hh, mm), tz)


def occurrences(
    cadence: Cadence, after: datetime, until: datetime, business: Calendar | None = None
) -> list[Occurrence]:
    """Every period starting in (after, until], oldest first, less holidays."""
    if until <= after:
        return []
    tz = cadence.zone
    out: list[Occurrence] = []
    day = after.astimezone(tz).date() - timedelta(days=1)
    last = until.astimezone(tz).date() + timedelta(days=1)
    while day <= last:
        if not is_holiday(cadence.skip_holidays, day):
            for local in _candidates(cadence, day, business):
                at = local.astimezone(UTC)
                if after < at <= until:
                    out.append(Occurrence(_key(cadence.kind, local), at))
        day += timedelta(days=1)
    return out


def next_occurrence(
    cadence: Cadence, after: datetime, business: Calendar | None = None, horizon_days: int = 400
) -> Occurrence | None:
    """The first period after `after` (for `/digest list`); None if none within the horizon."""
    start = after
    for _ in range(horizon_days // 14 + 1):
        end = start + timedelta(days=14)
        found = occurrences(cadence, start, end, business)
        if found:
            return found[0]
        start = end
    return None


def bucket(at: datetime, minutes: int) -> tuple[str, datetime]:
    """A fixed-length period (for re-posts): its key and its start, aligned on the Unix epoch."""
    seconds = minutes * 60
    start = int(at.timestamp()) // seconds * seconds
    begin = datetime.fromtimestamp(start, UTC)
    return f"every{minutes}m:{begin.isoformat(timespec='minutes')}", begin
