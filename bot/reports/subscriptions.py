"""Weekly report subscriptions: `/digest subscribe [#channel] weekly-report mon [09:00] [tz=Zone]`.

Cadence words, errors and the access rule (members of the channel, or admins) are the digest's
(`bot.digest.periods`, `bot.digest.access`), so both commands read and refuse alike; the rows are their own (`report_subscriptions`), so a channel keeps its digest too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select, update

from bot.digest.access import MemberCheck, Refused, channel_refusal
from bot.digest.periods import (
    WEEKLY,
    Cadence,
    CadenceError,
    CadenceRefusal,
    Occurrence,
    Problem,
    next_occurrence,
    parse_time,
    parse_weekday,
    zone,
)
from bot.digest.subscriptions import channel_of
from storage.db import Database
from storage.models.reports import ReportSubscription

KEYWORD = "weekly-report"
_TIME = re.compile(r"^\d{1,2}:\d{2}$")


@dataclass(frozen=True)
class WeeklyReportSubscription:
    id: int
    channel: str
    cadence: Cadence
    created_by: str
    created_at: datetime
    checked_until: datetime | None


@dataclass(frozen=True)
class ReportSubscribed:
    subscription: WeeklyReportSubscription
    replaced: bool
    next_post: Occurrence | None


@dataclass(frozen=True)
class ReportUnsubscribed:
    channel: str
    removed: bool


def is_weekly_report(args: list[str]) -> bool:
    return any(token.casefold() == KEYWORD for token in args)


def _value(row: ReportSubscription) -> WeeklyReportSubscription:
    return WeeklyReportSubscription(
        id=row.id,
        channel=row.channel,
        cadence=Cadence(WEEKLY, row.tz, row.at_time, row.weekday),
        created_by=row.created_by,
        created_at=row.created_at,
        checked_until=row.checked_until,
    )


def parse(args: list[str], default_tz: str) -> tuple[str | None, Cadence]:
    """(channel or None for "here", weekly cadence) from the words after `subscribe`."""
    channel: str | None = None
    weekday: int | None = None
    at_time = "09:00"
    tz = default_tz
    for token in args:
        low = token.casefold()
        if low == KEYWORD:
            continue
        if (found := channel_of(token)) is not None:
            channel = found
        elif _TIME.match(token):
            at_time = parse_time(token)
        elif low.startswith("tz="):
            tz = token.split("=", 1)[1]
        elif weekday is None:
            weekday = parse_weekday(token)
        else:
            raise CadenceError(Problem.UNKNOWN_WORD, token)
    if weekday is None:
        raise CadenceError(Problem.NO_WEEKDAY)
    zone(tz)
    return channel, Cadence(WEEKLY, tz, at_time, weekday)


def subscribe(
    db: Database,
    args: list[str],
    channel_id: str,
    user: str,
    now: datetime,
    default_tz: str,
    *,
    admin: bool,
    member_of: MemberCheck,
) -> ReportSubscribed | CadenceRefusal | Refused:
    try:
        channel, cadence = parse(args, default_tz)
    except CadenceError as exc:
        return exc.refusal
    channel = channel or channel_id
    if (refused := channel_refusal(channel, admin, member_of)) is not None:
        return refused
    with db.session() as session:
        row = session.scalar(select(ReportSubscription).where(ReportSubscription.channel == channel))
        replaced = row is not None and row.active
        if row is None:
            row = ReportSubscription(channel=channel)
            session.add(row)
        row.weekday = cadence.weekday or 0
        row.at_time = cadence.at_time or "09:00"
        row.tz = cadence.tz
        row.created_by = user
        row.created_at = now
        row.checked_until = now  # weeks before the subscription were never owed
        row.active = True
        session.flush()
        sub = _value(row)
    return ReportSubscribed(sub, replaced, next_occurrence(cadence, now))


def unsubscribe(
    db: Database, args: list[str], channel_id: str, *, admin: bool, member_of: MemberCheck
) -> ReportUnsubscribed | CadenceRefusal | Refused:
    try:
        channel = next((c for t in args if (c := channel_of(t)) is not None), channel_id)
    except CadenceError as exc:
        return exc.refusal
    if (refused := channel_refusal(channel, admin, member_of)) is not None:
        return refused
    with db.session() as session:
        result = session.execute(
            update(ReportSubscription)
            .where(ReportSubscription.channel == channel, ReportSubscription.active.is_(True))
            .values(active=False)
            .execution_options(synchronize_session=False)
        )
        removed: bool = result.rowcount == 1  # type: ignore[attr-defined]
    return ReportUnsubscribed(channel, removed)


def active(db: Database) -> list[WeeklyReportSubscription]:
    with db.session() as session:
        rows = session.scalars(
            select(ReportSubscription)
            .where(ReportSubscription.active.is_(True))
            .order_by(ReportSubscription.id)
        ).all()
        return [_value(row) for row in rows]


def checked(db: Database, sub_id: int, until: datetime) -> None:
    """Every week up to `until` was dealt with; never moves back."""
    with db.session() as session:
        session.execute(
            update(ReportSubscription)
            .where(
                ReportSubscription.id == sub_id,
                or_(ReportSubscription.checked_until.is_(None), ReportSubscription.checked_until < until),
            )
            .values(checked_until=until)
            .execution_options(synchronize_session=False)
        )
