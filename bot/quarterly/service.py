"""Quarterly reviews' front door: who is due, the brief the owner gets, marking a review held, and
what is overdue (`/tier reviews`, the App Home).

Plain functions with explicit dependencies (a `Session`, the `Policy`, `now`, settings values) and
frozen results; the words are `bot.views.quarterly`. Eligible accounts are those whose current tier has
`quarterly_review = true` in the policy; `ensure_schedules` gives each a first due date (the start of
the next quarter) and the schedule of an account that left such a tier is kept but not shown.

The health trend comes from `health_history` (kept by imports and syncs since issue 11's alerts): the
values the score took during the brief's quarter, oldest first, then the current score.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import exists, func, insert, literal, select
from sqlalchemy.orm import Session

from bot.policy.model import Policy
from bot.quarterly.dates import next_quarter_start, quarter_after
from bot.sla import service as sla
from storage.models import Account, UTCDateTime
from storage.models.alerts import HealthChange
from storage.models.decisions import Decision, DecisionAccount
from storage.models.quarterly import HeldReview, ReviewSchedule
from storage.models.tickets import Ticket, is_open

BRIEF_DAYS = 91  # "last quarter" in the brief: the 13 weeks before the reminder
BRIEF_DECISIONS = 5
HEALTH_POINTS = 6  # the newest changes shown in the trend


@dataclass(frozen=True)
class DueReview:
    account_id: int
    account: str
    tier: str
    owner: str | None
    due_at: datetime
    last_held_at: datetime | None
    channel: str | None = None  # the account's own Slack channel, else its tier's alert channel


@dataclass(frozen=True)
class DecisionLine:
    decision_id: int
    title: str
    status: str


@dataclass(frozen=True)
class ReviewBrief:
    review: DueReview
    since: datetime
    first_response_attainment: float | None
    resolution_attainment: float | None
    breaches: int  # decided targets missed in the last quarter, open clocks already past target included
    tickets: int
    open_tickets: int
    health_score: int | None
    health_history: tuple[tuple[datetime, int], ...]  # values set during the quarter, oldest first
    decisions: tuple[DecisionLine, ...]


class RefusalKind(StrEnum):
    NOT_SCHEDULED = "not_scheduled"  # the account has no quarterly review (tier without the entitlement)


@dataclass(frozen=True)
class Refused:
    reason: RefusalKind
    account_id: int


@dataclass(frozen=True)
class Held:
    account_id: int
    account: str
    held_at: datetime
    held_by: str
    note: str
    next_due_at: datetime


def eligible_tiers(policy: Policy) -> list[str]:
    return [t.key for t in policy.tiers if t.quarterly_review]


def ensure_schedules(session: Session, policy: Policy, now: datetime) -> int:
    """Give every eligible account without a schedule its first due date; returns how many were added.
    One INSERT ... SELECT, so 100,000 accounts cost one statement."""
    tiers = eligible_tiers(policy)
    if not tiers:
        return 0
    first = next_quarter_start(now)
    missing = select(
        Account.id,
        literal(first, UTCDateTime()).label("due_at"),
        literal(now, UTCDateTime()).label("updated_at"),
    ).where(Account.tier.in_(tiers), ~exists().where(ReviewSchedule.account_id == Account.id))
    result = session.execute(
        insert(ReviewSchedule).from_select(["account_id", "due_at", "updated_at"], missing)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def _review(policy: Policy, row: Any) -> DueReview:
    """A review from `_due`'s / `review_of`'s columns (the account's own channel last)."""
    try:
        channel = row.slack_channel or policy.tier(row.tier).alert_channel
    except KeyError:  # eligible tiers come from this policy: only a tier gone in a policy reload
        channel = row.slack_channel
    return DueReview(row.id, row.name, row.tier, row.owner, row.due_at, row.last_held_at, channel)


def _due(session: Session, policy: Policy, before: datetime, limit: int | None) -> list[DueReview]:
    stmt = (
        select(
            Account.id,
            Account.name,
            Account.tier,
            Account.owner,
            ReviewSchedule.due_at,
            ReviewSchedule.last_held_at,
            Account.slack_channel,
        )
        .join(ReviewSchedule, ReviewSchedule.account_id == Account.id)
        .where(Account.tier.in_(eligible_tiers(policy)), ReviewSchedule.due_at <= before)
        .order_by(ReviewSchedule.due_at, Account.id)
    )
    if limit is not None:
        stmt = stmt.limit(limit)
    return [_review(policy, row) for row in session.execute(stmt)]


def due_for_reminder(session: Session, policy: Policy, now: datetime, lead_days: int) -> list[DueReview]:
    """Reviews due within `lead_days` (or overdue), oldest due first."""
    return _due(session, policy, now + timedelta(days=lead_days), None)


def overdue(session: Session, policy: Policy, now: datetime, limit: int = 50) -> tuple[list[DueReview], int]:
    """Reviews whose due date has passed, oldest first (at most `limit`), and how many in all."""
    total = session.scalar(
        select(func.count())
        .select_from(ReviewSchedule)
        .join(Account, Account.id == ReviewSchedule.account_id)
        .where(Account.tier.in_(eligible_tiers(policy)), ReviewSchedule.due_at < now)
    )
    listed = [r for r in _due(session, policy, now, limit) if r.due_at < now]
    return listed, int(total or 0)


def brief(
    session: Session, policy: Policy, review: DueReview, now: datetime, at_risk_share: float
) -> ReviewBrief:
    """What the owner needs before the review: last quarter's SLA, open tickets, health, decisions."""
    since = now - timedelta(days=BRIEF_DAYS)
    m = sla.period_metrics(
        session, policy, since, now, now=now, at_risk_share=at_risk_share, account_id=review.account_id
    )
    missed = (m.first_response_decided - m.first_response_met) + (m.resolution_decided - m.resolution_met)
    open_tickets = session.scalar(
        select(func.count()).where(Ticket.account_id == review.account_id, is_open())
    )
    health = session.scalar(select(Account.health_score).where(Account.id == review.account_id))
    changes = session.execute(
        select(HealthChange.at, HealthChange.new_value)
        .where(
            HealthChange.account_id == review.account_id,
            HealthChange.at >= since,
            HealthChange.new_value.is_not(None),
        )
        .order_by(HealthChange.at.desc())
        .limit(HEALTH_POINTS)
    ).all()
    decisions = session.execute(
        select(Decision.id, Decision.title, Decision.status)
        .join(DecisionAccount, DecisionAccount.decision_id == Decision.id)
        .where(DecisionAccount.account_id == review.account_id)
        .order_by(Decision.id.desc())
        .limit(BRIEF_DECISIONS)
    )
    return ReviewBrief(
        review=review,
        since=since,
        first_response_attainment=m.first_response_attainment,
        resolution_attainment=m.resolution_attainment,
        breaches=missed,
        tickets=m.tickets,
        open_tickets=int(open_tickets or 0),
        health_score=health,
        health_history=tuple((at, v) for at, v in reversed(changes) if v is not None),
        decisions=tuple(DecisionLine(i, t, s) for i, t, s in decisions),
    )


def review_of(session: Session, policy: Policy, account_id: int) -> DueReview | None:
    row = session.execute(
        select(
            Account.id,
            Account.name,
            Account.tier,
            Account.owner,
            ReviewSchedule.due_at,
            ReviewSchedule.last_held_at,
            Account.slack_channel,
        )
        .join(ReviewSchedule, ReviewSchedule.account_id == Account.id)
        .where(Account.id == account_id, Account.tier.in_(eligible_tiers(policy)))
    ).first()
    return None if row is None else _review(policy, row)


def mark_held(
    session: Session, policy: Policy, account_id: int, user: str, note: str, now: datetime
) -> Held | Refused:
    """Record the review held now with its note and schedule the next a quarter later."""
    review = review_of(session, policy, account_id)
    if review is None:
        return Refused(RefusalKind.NOT_SCHEDULED, account_id)
    session.add(HeldReview(account_id=account_id, due_at=review.due_at, held_at=now, held_by=user, note=note))
    row = session.get(ReviewSchedule, account_id)
    assert row is not None
    row.last_held_at = now
    row.due_at = quarter_after(now)
    row.updated_at = now
    session.flush()
    return Held(account_id, review.account, now, user, note, row.due_at)
