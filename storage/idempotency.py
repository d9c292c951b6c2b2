"""Claiming a side effect once: a retried Slack delivery or a double click finds the claim and stops."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.exc import IntegrityError

from storage.db import Database
from storage.models import InboundDelivery


def claim(db: Database, key: str) -> bool:
    """True the first time a key is claimed, False for every later attempt, across processes."""
    try:
        with db.session() as session:
            session.add(InboundDelivery(key=key[:255]))
    except IntegrityError:
        return False
    return True


def release(db: Database, key: str) -> None:
    """Give a claim back when the side effect failed, so Slack's retry can do it."""
    from sqlalchemy import delete

    with db.session() as session:
        session.execute(delete(InboundDelivery).where(InboundDelivery.key == key[:255]))


def sweep(db: Database, before: datetime) -> int:
    """Forget claims older than any retry or double click could be (the daily job keeps a week)."""
    from sqlalchemy import delete

    with db.session() as session:
        result = session.execute(delete(InboundDelivery).where(InboundDelivery.created_at < before))
        return int(result.rowcount or 0)  # type: ignore[attr-defined]
