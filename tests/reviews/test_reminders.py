from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from bot.reviews import ReviewDue, due_reviews, reminder_period
from storage.db import Database
from tests.reviews.seed import add_decision

TODAY = date(2026, 11, 20)


def _due(db: Database, today: date = TODAY, lead_days: int = 5) -> list[ReviewDue]:
    with db.session() as session:
        return due_reviews(session, today, lead_days)


def test_lead_window_overdue_and_closed_decisions(db: Database) -> None:
    in_lead = add_decision(db, "In lead", date(2026, 11, 25))  # 5 days away: the edge of the lead time
    add_decision(db, "Too far", date(2026, 11, 26))
    today = add_decision(db, "Today", TODAY, source_channel=None)
    overdue = add_decision(db, "Overdue", date(2026, 11, 10))
    add_decision(db, "Reversed", date(2026, 11, 10), status="reversed")
    add_decision(db, "Superseded", date(2026, 11, 18), status="superseded")
    reviewed = add_decision(db, "Reviewed, next date set", date(2026, 11, 22), status="reviewed")
    add_decision(db, "Stopped at review", date(2026, 11, 21), status="reviewed", last_outcome="stop")
    due = _due(db)
    assert [(d.decision_id, d.days_left) for d in due] == [
        (overdue, -10),
        (today, 0),
        (reviewed, 2),
        (in_lead, 5),
    ]
    first = due[0]
    assert (first.short_id, first.title, first.owner, first.source_channel, first.overdue) == (
        f"D-{overdue}",
        "Overdue",
        "UOWNER",
        "CDECISIONS",
        True,
    )
    assert due[1].source_channel is None
    assert [d.decision_id for d in _due(db, lead_days=0)] == [overdue, today]


def test_a_review_on_or_after_the_date_answers_it(db: Database) -> None:
    answered = add_decision(
        db,
        "Reviewed late, date kept",
        date(2026, 11, 15),
        last_reviewed_at=datetime(2026, 11, 16, 9, tzinfo=UTC),
    )
    early = add_decision(
        db,
        "Reviewed before the date",
        date(2026, 11, 22),
        last_reviewed_at=datetime(2026, 11, 19, tzinfo=UTC),
    )
    ids = [d.decision_id for d in _due(db)]
    assert answered not in ids
    assert early in ids


def test_negative_lead_is_refused(db: Database) -> None:
    with pytest.raises(ValueError):
        _due(db, lead_days=-1)


def test_one_reminder_per_period_from_lead_to_weeks_overdue(db: Database) -> None:
    """Run the reminder check every day for six weeks: the ledger would post exactly these."""
    review = date(2026, 11, 25)
    add_decision(db, "Pricing change", review)
    posted: list[tuple[date, str]] = []
    seen: set[str] = set()
    day = date(2026, 11, 1)
    while day <= date(2026, 12, 31):
        for due in _due(db, today=day, lead_days=3):
            period = reminder_period(due, day)
            if period not in seen:  # what the ledger's unique (job, target, period) does
                seen.add(period)
                posted.append((day, period))
        day += timedelta(days=1)
    assert posted == [
        (date(2026, 11, 22), "lead:2026-11-25"),
        (date(2026, 11, 25), "due:2026-11-25"),
        (date(2026, 12, 2), "overdue:2026-11-25:w1"),
        (date(2026, 12, 9), "overdue:2026-11-25:w2"),
        (date(2026, 12, 16), "overdue:2026-11-25:w3"),
        (date(2026, 12, 23), "overdue:2026-11-25:w4"),
        (date(2026, 12, 30), "overdue:2026-11-25:w5"),
    ]


def test_missed_day_still_gets_the_due_reminder_and_moving_the_date_restarts() -> None:
    item = ReviewDue(1, "D-1", "t", "U1", date(2026, 11, 25), 0, None)
    assert reminder_period(item, date(2026, 11, 28)) == "due:2026-11-25"  # bot was down on the day
    assert reminder_period(item, date(2026, 12, 1)) == "due:2026-11-25"
    assert reminder_period(item, date(2026, 12, 2)) == "overdue:2026-11-25:w1"
    moved = ReviewDue(1, "D-1", "t", "U1", date(2026, 12, 10), 8, None)
    assert reminder_period(moved, date(2026, 12, 2)) == "lead:2026-12-10"
