"""Digest subscriptions: parsing `/digest subscribe ...` and keeping one schedule per channel.

Rows leave this module as `Subscription` values (frozen), never as ORM objects: the jobs and the
views read them after the session has closed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select, update

from bot.digest.periods import (
    DAILY,
    HOURLY,
    WEEKLY,
    Cadence,
    CadenceError,
    Problem,
    parse_time,
    parse_weekday,
    validate_country,
    zone,
)
from bot.policy.model import Policy
from storage.db import Database
from storage.models.schedule import DigestSubscription

# Slack escapes a picked channel as <#C123|name> (or <#C123> when the name is withheld).
_CHANNEL_LINK = re.compile(r"^<#([CGD][A-Z0-9]{2,})(?:\|[^>]*)?>$")
_CHANNEL_ID = re.compile(r"^[CG][A-Z0-9]{6,}$")
_TIME = re.compile(r"^\d{1,2}:\d{2}$")


@dataclass(frozen=True)
class SubscribeRequest:
    channel: str | None  # None: the channel the command was typed in
    cadence: Cadence
    tiers: tuple[str, ...]  # empty: every tier


@dataclass(frozen=True)
class Subscription:
    """One channel's digest schedule, as stored."""

    id: int
    channel: str
    cadence: Cadence
    tiers: tuple[str, ...]  # empty: every tier
    created_by: str
    created_at: datetime
    checked_until: datetime | None
    last_snapshot: dict[str, Any] | None
    problem_notified_at: datetime | None

    @property
    def tz(self) -> str:
        return self.cadence.tz


def _value(row: DigestSubscription) -> Subscription:
    return Subscription(
        id=row.id,
        channel=row.channel,
        cadence=Cadence(row.cadence, row.tz, row.at_time, row.weekday, row.skip_holidays),
        tiers=tuple(row.tiers or ()),
        created_by=row.created_by,
        created_at=row.created_at,
        checked_until=row.checked_until,
        last_snapshot=row.last_snapshot,
        problem_notified_at=row.problem_notified_at,
    )


def channel_of(token: str) -> str | None:
    """A channel id from a mention token, None if the token is not a channel at all.

    A bare `#name` cannot be resolved without listing every channel, so it is refused with a hint."""
    if m := _CHANNEL_LINK.match(token):
        return m[1]
    if _CHANNEL_ID.match(token):
        return token
    if token.startswith("#"):
        raise CadenceError(Problem.CHANNEL_NAME, token)
    return None


def parse_subscribe(tokens: list[str], policy: Policy, default_tz: str) -> SubscribeRequest:
    """`[#channel] daily 09:00 | weekly mon 09:00 | hourly  [tiers ...] [tz=Zone] [skip-holidays=CC]`."""
    channel: str | None = None
    kind: str | None = None
    at_time: str | None = None
    weekday: int | None = None
    tz = default_tz
    country: str | None = None
    tiers: list[str] = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        low = token.casefold()
        if (found := channel_of(token)) is not None:
            channel = found
        elif low in (DAILY, WEEKLY, HOURLY):
            if kind is not None:
                raise CadenceError(Problem.TWO_CADENCES)
            kind = low
            if kind == WEEKLY:
                if i + 1 >= len(tokens) or _TIME.match(tokens[i + 1]):
                    raise CadenceError(Problem.NO_WEEKDAY)
                i += 1
                weekday = parse_weekday(tokens[i])
            if i + 1 < len(tokens) and _TIME.match(tokens[i + 1]):
                if kind == HOURLY:
                    raise CadenceError(Problem.HOURLY_WITH_TIME)
                i += 1
                at_time = parse_time(tokens[i])
        elif low.startswith("tz="):
            tz = token.split("=", 1)[1]
            zone(tz)
        elif low.startswith(("skip-holidays=", "holidays=")):
            country = validate_country(token.split("=", 1)[1])
        elif (tier := policy.find_tier(token)) is not None:
            if tier.key not in tiers:
                tiers.append(tier.key)
        elif _TIME.match(token):
            raise CadenceError(Problem.TIME_MISPLACED, token)
        else:
            raise CadenceError(Problem.UNKNOWN_WORD, token, tuple(t.key for t in policy.tiers))
        i += 1
    if kind is None:
        raise CadenceError(Problem.NO_CADENCE)
    zone(tz)
    if kind != HOURLY and at_time is None:
        at_time = "09:00"
    # Keep tiers in policy order (highest first) whatever order they were typed in.
    ordered = tuple(t.key for t in policy.tiers if t.key in tiers)
    return SubscribeRequest(channel, Cadence(kind, tz, at_time, weekday, country), ordered)


def subscribe(
    db: Database, channel: str, request: SubscribeRequest, user: str, now: datetime
) -> tuple[Subscription, bool]:
    """Create or replace the channel's subscription; returns it and whether it replaced one."""
    cadence = request.cadence
    with db.session() as session:
        sub = session.scalar(select(DigestSubscription).where(DigestSubscription.channel == channel))
        replaced = sub is not None and sub.active
        if sub is None:
            sub = DigestSubscription(channel=channel)
            session.add(sub)
        sub.tiers = list(request.tiers)
        sub.cadence = cadence.kind
        sub.at_time = cadence.at_time
        sub.weekday = cadence.weekday
        sub.tz = cadence.tz
        sub.skip_holidays = cadence.skip_holidays
        sub.created_by = user
        # A new schedule starts now: periods before it were never owed, so none count as missed.
        sub.created_at = now
        sub.checked_until = now
        sub.active = True
        sub.problem_notified_at = None
        session.flush()
        return _value(sub), replaced


def unsubscribe(db: Database, channel: str) -> bool:
    with db.session() as session:
        result = session.execute(
            update(DigestSubscription)
            .where(DigestSubscription.channel == channel, DigestSubscription.active.is_(True))
            .values(active=False)
            .execution_options(synchronize_session=False)
        )
        changed: bool = result.rowcount == 1  # type: ignore[attr-defined]
        return changed


def active(db: Database) -> list[Subscription]:
    with db.session() as session:
        rows = session.scalars(
            select(DigestSubscription)
            .where(DigestSubscription.active.is_(True))
            .order_by(DigestSubscription.id)
        ).all()
        return [_value(row) for row in rows]


def by_channel(db: Database, channel: str) -> Subscription | None:
    with db.session() as session:
        row = session.scalar(
            select(DigestSubscription).where(
                DigestSubscription.channel == channel, DigestSubscription.active.is_(True)
            )
        )
        return _value(row) if row is not None else None


def checked(db: Database, sub_id: int, until: datetime) -> None:
    """Every period up to `until` has been dealt with (posted, skipped or superseded); never moves back."""
    with db.session() as session:
        session.execute(
            update(DigestSubscription)
            .where(
                DigestSubscription.id == sub_id,
                or_(DigestSubscription.checked_until.is_(None), DigestSubscription.checked_until < until),
            )
            .values(checked_until=until)
            .execution_options(synchronize_session=False)
        )


def _update(db: Database, sub_id: int, **values: Any) -> None:
    with db.session() as session:
        session.execute(
            update(DigestSubscription)
            .where(DigestSubscription.id == sub_id)
            .values(**values)
            .execution_options(synchronize_session=False)
        )


def keep_snapshot(db: Database, sub_id: int, snapshot: dict[str, Any]) -> None:
    """The digest the next one's movement is measured against."""
    _update(db, sub_id, last_snapshot=snapshot)


SHOWN_MAX = 1000  # ticket ids a snapshot keeps from re-posts (newest), until the next digest resets it


def add_shown(db: Database, sub_id: int, ticket_ids: list[str]) -> None:
    """Tickets re-posted to the channel since its digest: their buttons are as good as the digest's."""
    with db.session() as session:
        # Locked (on PostgreSQL) so that a digest keeping its snapshot meanwhile is not overwritten.
        row = session.scalar(
            select(DigestSubscription).where(DigestSubscription.id == sub_id).with_for_update()
        )
        if row is None:
            return
        snapshot = dict(row.last_snapshot or {})
        known = [str(t) for t in snapshot.get("tickets") or []]
        merged = list(dict.fromkeys([*known, *ticket_ids]))
        if merged == known:
            return
        snapshot["tickets"] = merged[-SHOWN_MAX:]
        row.last_snapshot = snapshot


def problem_cleared(db: Database, sub_id: int) -> None:
    _update(db, sub_id, problem_notified_at=None)


def claim_problem_notice(db: Database, sub_id: int, now: datetime) -> bool:
    """Compare-and-set: True for exactly one caller until the problem is cleared."""
    with db.session() as session:
        result = session.execute(
            update(DigestSubscription)
            .where(DigestSubscription.id == sub_id, DigestSubscription.problem_notified_at.is_(None))
            .values(problem_notified_at=now)
            .execution_options(synchronize_session=False)
        )
        changed: bool = result.rowcount == 1  # type: ignore[attr-defined]
        return changed
