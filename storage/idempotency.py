"""Claiming a side effect once: a retried Slack delivery or a double click finds the claim and stops.

The one idempotency mechanism of tierbot: a row per key in `inbound_deliveries`, whose primary key makes
the second claim fail. `claim` takes a key in its own transaction (for effects outside the database:
posting, an event's work); `claim_in` takes it inside the caller's unit of work, so the claim and the
change it guards are committed together or not at all (a refusal rolls both back: nothing to release).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.db import Database
from storage.models import InboundDelivery

KEY_MAX = 255  # the column's length: longer keys are cut, the same way everywhere


class AlreadyClaimed(Exception):
    """Raised by `claim_in`: the key was taken; the caller's transaction must be rolled back."""


def claim(db: Database, key: str) -> bool:
    """True the first time a key is claimed, False for every later attempt, across processes."""
    try:
        with db.session() as session:
            session.add(InboundDelivery(key=key[:KEY_MAX]))
    except IntegrityError:
        return False
    return True


def claim_in(session: Session, key: str) -> None:
    """Claim `key` as part of `session`'s transaction; raise AlreadyClaimed if it was taken.

    Call it before the writes it guards: on PostgreSQL a concurrent claimer waits on the key until the
    first transaction ends, on SQLite on the write lock, so the loser never sees a half-done change.
    After AlreadyClaimed the transaction is spoilt (PostgreSQL aborts it): let it roll back.
    """
    session.add(InboundDelivery(key=key[:KEY_MAX]))
    try:
        session.flush()
    except IntegrityError as exc:
        raise AlreadyClaimed(key) from exc


def release(db: Database, key: str) -> None:
    """Give a claim back when the side effect failed, so Slack's retry can do it."""
    with db.session() as session:
        session.execute(delete(InboundDelivery).where(InboundDelivery.key == key[:KEY_MAX]))


def sweep(db: Database, before: datetime) -> int:
    """Forget claims older than any retry or double click could be (the daily job keeps a week)."""
    with db.session() as session:
        result = session.execute(delete(InboundDelivery).where(InboundDelivery.created_at < before))
        return int(result.rowcount or 0)  # type: ignore[attr-defined]
