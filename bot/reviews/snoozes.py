"""Snoozed review reminders: a snooze holds a decision's reminders until it ends."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.db import Database
from storage.models.schedule import ReviewSnooze


def snooze(db: Database, decision_id: int, user: str, until: datetime, now: datetime) -> None:
    for _ in range(2):
        try:
            with db.session() as session:
                row = session.get(ReviewSnooze, decision_id)
                if row is None:
                    session.add(ReviewSnooze(decision_id=decision_id, until=until, by=user, updated_at=now))
                else:
                    row.until, row.by, row.updated_at = until, user, now
            return
        except IntegrityError:
            continue


def snoozes(session: Session) -> dict[int, datetime]:
    rows = session.execute(select(ReviewSnooze.decision_id, ReviewSnooze.until)).all()
    return {decision_id: until for decision_id, until in rows}
