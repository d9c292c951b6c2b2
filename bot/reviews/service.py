"""The reviews capability's front door: which reminders are due now, review triggers, snoozing.

The `review-reminders` and `review-triggers` jobs and the Snooze buttons on a reminder come through
here; what a reminder says is `bot.views.reminders`' business.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from bot.policy.model import Policy
from bot.reviews import snoozes
from bot.reviews.reminders import ReviewDue, due_reviews, reminder_period
from bot.reviews.triggers import TriggerFiring
from bot.reviews.triggers import evaluate_triggers as _evaluate_triggers
from storage.db import Database

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


def snooze_reminder(db: Database, decision_id: int, user: str, choice: str, now: datetime) -> datetime:
    """Hold a decision's reminders for `choice` ('1d' or '1w'); returns until when.

    Setting the same snooze twice (a double click, a retried delivery) just moves `until` a few ms."""
    until = now + SNOOZES[choice]
    snoozes.snooze(db, decision_id, user, until, now)
    return until
