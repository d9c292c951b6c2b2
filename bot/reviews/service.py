"""The reviews capability's front door: which reminders are due now, review triggers, snoozing.

The `review-reminders` and `review-triggers` jobs and the Snooze buttons on a reminder come through
here; what a reminder says is `bot.views.reminders`' business. Only a decision's owner or an admin may
snooze its reminders (a reminder also goes to the decisions channel, where anyone can press it).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.decisions.record import format_short_id
from bot.policy.model import Policy
from bot.reviews import snoozes
from bot.reviews.reminders import ReviewDue, due_reviews, reminder_period
from bot.reviews.triggers import TriggerFiring
from bot.reviews.triggers import evaluate_triggers as _evaluate_triggers
from storage.db import Database
from storage.models.decisions import Decision

SNOOZE_ECHO = timedelta(days=7)  # a snooze that ended within this long gives one fresh reminder
SNOOZES: Mapping[str, timedelta] = {"1d": timedelta(days=1), "1w": timedelta(days=7)}


@dataclass(frozen=True)
class Reminder:
    """A reminder to post today: the decision, and the ledger period it belongs to."""

    due: ReviewDue
    period: str


def due_reminders(db: Database, today: date, lead_days: int, now: datetime) -> list[Reminder]:
    """The reminders owed today (see `bot.reviews.reminders` for the periods), less snoozed ones."""
    with db.session() as session:
        dues = due_reviews(session, today, lead_days)
        snoozed = snoozes.snoozes(session)
    out: list[Reminder] = []
    for due in dues:
        period = f"{due.short_id}:{reminder_period(due, today)}"
        until = snoozed.get(due.decision_id)
        if until is not None and until > now:
            continue  # snoozed: nothing until it ends
        if until is not None and now - until < SNOOZE_ECHO:
            # The snooze just ended: remind once more even if this period's reminder went out before it.
            period += f":after-snooze:{until.isoformat(timespec='minutes')}"
        out.append(Reminder(due, period))
    return out


def evaluate_triggers(session: Session, policy: Policy, now: datetime) -> list[TriggerFiring]:
    """Measure every armed trigger; the caller owns the transaction (see `bot.reviews.triggers`)."""
    return _evaluate_triggers(session, policy, now)


class RefusalKind(StrEnum):
    NO_DECISION = "no_decision"
    NOT_OWNER = "not_owner"


@dataclass(frozen=True)
class Refused:
    """Nothing was snoozed, and why."""

    reason: RefusalKind
    short_id: str  # D-42
    owner: str | None = None  # Slack user id, for NOT_OWNER


@dataclass(frozen=True)
class Snoozed:
    decision_id: int
    until: datetime


def snooze_reminder(
    db: Database, decision_id: int, user: str, choice: str, now: datetime, admins: frozenset[str]
) -> Snoozed | Refused:
    """Hold a decision's reminders for `choice` ('1d' or '1w'), if `user` owns it or is an admin.

    Setting the same snooze twice (a double click, a retried delivery) just moves `until` a few ms."""
    short_id = format_short_id(decision_id)
    with db.session() as session:
        found = session.execute(select(Decision.owner).where(Decision.id == decision_id)).first()
    if found is None:
        return Refused(RefusalKind.NO_DECISION, short_id)
    owner: str = found[0]
    if not user or (user != owner and user not in admins):
        return Refused(RefusalKind.NOT_OWNER, short_id, owner)
    until = now + SNOOZES[choice]
    snoozes.snooze(db, decision_id, user, until, now)
    return Snoozed(decision_id, until)
