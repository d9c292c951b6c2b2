"""Which decisions are due for review, and the period a reminder about each belongs to.

Eligibility: any decision that is not reversed or superseded, open or reviewed alike. After "Mark
reviewed" the owner sets the next review date, so a reviewed decision is simply waiting for that date.
If the owner left the date where it was, a review recorded on or after that date answers it (the
decision is not due), which stops a reviewed decision from being nagged as overdue forever. An earlier
review does not: it cannot be told apart from one that set a new date a few days out, and an extra
reminder is cheaper than a missed one.

Reminder periods (the delivery ledger posts each (job, target, period) once):
- `lead:<review date>`   once when the date first comes within the lead time;
- `due:<review date>`    on the day, and during the first week overdue if the day itself was missed
                          (the bot was down): better late than silent;
- `overdue:<review date>:w<n>`  once per full week overdue (w1 from 7 days, w2 from 14 ...).
The review date is part of every key, so moving the date restarts the cycle.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.decisions.record import format_short_id
from storage.models.decisions import Decision


@dataclass(frozen=True)
class ReviewDue:
    decision_id: int
    short_id: str  # "D-42"
    title: str
    owner: str  # Slack user id
    review_date: date
    days_left: int  # negative = overdue
    source_channel: str | None
    status: str = "open"

    @property
    def overdue(self) -> bool:
        return self.days_left < 0


def due_reviews(session: Session, today: date, lead_days: int) -> list[ReviewDue]:
    """Eligible decisions whose review date is at most `lead_days` away or past, most overdue first."""
    if lead_days < 0:
        raise ValueError("lead_days cannot be negative")
    horizon = today + timedelta(days=lead_days)
    rows = session.execute(
        select(
            Decision.id,
            Decision.title,
            Decision.owner,
            Decision.review_date,
            Decision.source_channel,
            Decision.status,
            Decision.last_reviewed_at,
        )
        .where(
            # Reversed, superseded, or stopped at a review: nothing left to review.
            Decision.in_force.is_(True),
            Decision.review_date.is_not(None),
            Decision.review_date <= horizon,
        )
        .order_by(Decision.review_date, Decision.id)
    )
    out: list[ReviewDue] = []
    for decision_id, title, owner, review_date, channel, status, reviewed_at in rows:
        if reviewed_at is not None and reviewed_at >= _start_of(review_date):
            continue  # reviewed on or after the date, which was not moved
        out.append(
            ReviewDue(
                decision_id=decision_id,
                short_id=format_short_id(decision_id),
                title=title,
                owner=owner,
                review_date=review_date,
                days_left=(review_date - today).days,
                source_channel=channel,
                status=status,
            )
        )
    return out


def _start_of(day: date) -> datetime:
    # Review dates are calendar dates without a zone; UTC midnight is the house convention for storage.
    return datetime.combine(day, time(), tzinfo=UTC)


def reminder_period(review_due: ReviewDue, today: date) -> str:
    """The ledger period of the reminder to post today about `review_due` (see the module docstring)."""
    when = review_due.review_date.isoformat()
    days_left = (review_due.review_date - today).days
    if days_left > 0:
        return f"lead:{when}"
    weeks = -days_left // 7
    if weeks == 0:
        return f"due:{when}"
    return f"overdue:{when}:w{weeks}"
