"""Health-score history and drops: once per drop, while the account is still down.

A *drop* is the moment a change leaves an account's health score either below `floor`, or at least
`drop_points` under its highest value in the `drop_days` before that change. It lasts (one episode)
until a later change no longer meets either condition; a further fall in the same episode is not a new
drop. Each episode is named by the change that started it, which is what makes its alert once-only.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, bindparam, func, insert, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from bot.policy.model import Policy
from storage.models import Account
from storage.models.alerts import HealthChange


class DropKind(StrEnum):
    BELOW_FLOOR = "below_floor"
    FELL = "fell"  # by at least drop_points within drop_days


@dataclass(frozen=True)
class HealthDrop:
    account_id: int
    account_name: str
    tier: str
    owner: str | None
    channel: str | None  # the account's own channel, else the tier's alert channel
    kind: DropKind
    peak: int  # highest score in the window before the drop
    value: int  # the score now
    started_at: datetime  # the change that started this drop (names the episode)
    floor: int
    drop_points: int
    drop_days: int

    @property
    def period(self) -> str:
        return f"health:{self.account_id}:{self.started_at.isoformat(timespec='seconds')}"


class Direction(StrEnum):
    UP = "up"
    DOWN = "down"
    FLAT = "flat"


# The trend /tier shows: the score now against the score TREND_DAYS ago; a move of fewer than
# TREND_POINTS either way is flat (scores are CRM estimates that wobble by a point or two each sync).
TREND_DAYS = 30
TREND_POINTS = 5
TREND_PREVIOUS = 2  # earlier values shown before the current one
TREND_SINCE = "trend_since"  # the bind parameter `trend_columns` compare with: now - TREND_DAYS
NO_SCORE = -1  # `trend_columns`' health_at_since: the account had no score then (scores are 0-100)


@dataclass(frozen=True)
class HealthTrend:
    values: tuple[int, ...]  # the last values the score took, oldest first, the current one last
    reference: int  # the score TREND_DAYS ago (or the oldest value shown, when it had none then)
    direction: Direction
    change: int  # current - reference
    days: int = TREND_DAYS


def trend_columns(account_id: ColumnElement[int] | InstrumentedAttribute[int]) -> list[Any]:
    """What `health_trend` needs, as labelled scalar subqueries correlated to `account_id`, for a
    statement that reads the account anyway (`cards.card_statement`): the trend costs no round trip
    of its own. Each is one seek on ix_health_history_account_id_at, in index order (nothing found
    for an account without history). The statement binds TREND_SINCE to now - TREND_DAYS.

    Three subqueries, not more: each costs ~15-30 µs of a cold card (~100 µs without them)."""
    since: Any = bindparam(TREND_SINCE)

    def newest_old_value(offset: int) -> Any:
        return (
            select(HealthChange.old_value)
            .where(HealthChange.account_id == account_id)
            .order_by(HealthChange.at.desc(), HealthChange.id.desc())
            .limit(1)
            .offset(offset)
            .correlate_except(HealthChange)
            .scalar_subquery()
            .label(f"health_prev{offset}")
        )

    # The score at `since` is the value the first change after it replaced (NO_SCORE: it had none);
    # with no change since, it is the score now (NULL here).
    at_since = (
        select(func.coalesce(HealthChange.old_value, NO_SCORE))
        .where(HealthChange.account_id == account_id, HealthChange.at > since)
        .order_by(HealthChange.at, HealthChange.id)
        .limit(1)
        .correlate_except(HealthChange)
        .scalar_subquery()
        .label("health_at_since")
    )
    return [*(newest_old_value(k) for k in range(TREND_PREVIOUS)), at_since]


def health_trend(current: int | None, previous: Sequence[int | None], at_since: int | None) -> HealthTrend | None:  # fmt: skip
    """The trend from `trend_columns`' values; None without a current score or any earlier value.

    `previous`: the old values of the newest changes, newest first (a None ends the known values).
    The reference is the score TREND_DAYS ago (`at_since`; None: unchanged since, so the score now);
    when the account had no score then, the oldest value shown."""
    if current is None:
        return None
    earlier: list[int] = []
    for value in previous:
        if value is None:
            break
        earlier.append(value)
    if not earlier:
        return None
    values = (*reversed(earlier), current)
    reference = current if at_since is None else values[0] if at_since == NO_SCORE else at_since
    change = current - reference
    direction = (
        Direction.UP
        if change >= TREND_POINTS
        else Direction.DOWN
        if change <= -TREND_POINTS
        else Direction.FLAT
    )
    return HealthTrend(values, reference, direction, change)


def record_health_change(session: Session, account_id: int, old: int | None, new: int | None, at: datetime) -> bool:  # fmt: skip
    """Keep the old value with its time when an import or sync changes a health score."""
    if old == new:
        return False
    session.add(HealthChange(account_id=account_id, old_value=old, new_value=new, at=at))
    return True


def record_health_changes(session: Session, changes: Iterable[tuple[int, int | None, int | None]], at: datetime) -> int:  # fmt: skip
    """The bulk form for importers: (account id, old, new) triples; unchanged ones are ignored."""
    rows = [
        {"account_id": a, "old_value": old, "new_value": new, "at": at}
        for a, old, new in changes
        if old != new
    ]
    if rows:
        session.execute(insert(HealthChange), rows)
    return len(rows)


def _meets(value: int | None, peak: int | None, floor: int, points: int) -> DropKind | None:
    if value is None:
        return None
    if value < floor:
        return DropKind.BELOW_FLOOR
    if peak is not None and peak - value >= points:
        return DropKind.FELL
    return None


def health_drops(
    session: Session, policy: Policy, now: datetime, drop_points: int, drop_days: int, floor: int
) -> list[HealthDrop]:
    """Accounts of tiers with `health_alerts` whose latest change left them in a drop that started in
    the last `drop_days`. The caller posts each once, keyed by `HealthDrop.period`."""
    tiers = {t.key: t for t in policy.tiers if t.health_alerts}
    if not tiers:
        return []
    window = timedelta(days=drop_days)
    rows = session.execute(
        select(
            HealthChange.account_id,
            HealthChange.old_value,
            HealthChange.new_value,
            HealthChange.at,
            Account.name,
            Account.tier,
            Account.owner,
            Account.slack_channel,
        )
        .join(Account, Account.id == HealthChange.account_id)
        .where(HealthChange.at >= now - 2 * window, Account.tier.in_(sorted(tiers)))
        .order_by(HealthChange.account_id, HealthChange.at, HealthChange.id)
    ).all()
    by_account: dict[int, list[tuple[int | None, int | None, datetime]]] = defaultdict(list)
    about: dict[int, tuple[str, str, str | None, str | None]] = {}
    for account_id, old, new, at, name, tier, owner, channel in rows:
        by_account[account_id].append((old, new, at))
        about[account_id] = (name, tier, owner, channel)
    drops: list[HealthDrop] = []
    for account_id, changes in by_account.items():
        started: tuple[datetime, DropKind, int] | None = None
        for i, (old, new, at) in enumerate(changes):
            seen = [v for o, n, t in changes[: i + 1] if t >= at - window for v in (o, n) if v is not None]
            if old is not None:
                seen.append(old)
            peak = max(seen) if seen else None
            kind = _meets(new, peak, floor, drop_points)
            if kind is None:
                started = None
            elif started is None:
                started = (at, kind, peak if peak is not None else new or 0)
        last_value = changes[-1][1]
        if started is None or last_value is None or started[0] < now - window:
            continue
        name, tier, owner, channel = about[account_id]
        drops.append(
            HealthDrop(
                account_id,
                name,
                tier,
                owner,
                channel or tiers[tier].alert_channel,
                started[1],
                started[2],
                last_value,
                started[0],
                floor,
                drop_points,
                drop_days,
            )
        )
    return drops
