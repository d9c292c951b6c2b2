"""Decision and trigger rows inserted directly (the decisions work owns how they are really created)."""

from __future__ import annotations

from datetime import date, datetime

from storage.db import Database
from storage.models.decisions import Decision, ReviewTrigger


def add_decision(
    db: Database,
    title: str,
    review_date: date,
    *,
    status: str = "open",
    owner: str = "UOWNER",
    source_channel: str | None = "CDECISIONS",
    last_reviewed_at: datetime | None = None,
    last_outcome: str | None = None,
) -> int:
    with db.session() as session:
        decision = Decision(
            title=title,
            horizon=review_date,
            owner=owner,
            status=status,
            chosen_option="A",
            review_date=review_date,
            source_channel=source_channel,
            last_reviewed_at=last_reviewed_at,
            last_outcome=last_outcome,
            created_by=owner,
        )
        session.add(decision)
        session.flush()
        return decision.id


def add_trigger(
    db: Database,
    decision_id: int,
    metric: str,
    comparison: str,
    threshold: float,
    *,
    tier: str | None = None,
    account_id: int | None = None,
    window_days: int = 30,
    fired: bool = False,
) -> int:
    with db.session() as session:
        trigger = ReviewTrigger(
            decision_id=decision_id,
            metric=metric,
            scope_tier=tier,
            scope_account_id=account_id,
            comparison=comparison,
            threshold=threshold,
            window_days=window_days,
            fired=fired,
        )
        session.add(trigger)
        session.flush()
        return trigger.id
