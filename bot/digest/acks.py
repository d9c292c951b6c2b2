"""Acknowledging and snoozing breaches: what stops a re-post."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.db import Database
from storage.models.schedule import BreachAck

SNOOZE_MORNING = time(9, 0)  # "tomorrow" means the start of the next working morning, local time


@dataclass(frozen=True)
class AckState:
    acked_by: str | None = None
    acked_at: datetime | None = None
    snoozed_until: datetime | None = None
    snoozed_by: str | None = None

    def quiet(self, now: datetime) -> bool:
        """True when nobody should be reminded of this breach now."""
        return self.acked_by is not None or (self.snoozed_until is not None and self.snoozed_until > now)


def _state(row: BreachAck) -> AckState:
    return AckState(row.acked_by, row.acked_at, row.snoozed_until, row.snoozed_by)


def ack_states(session: Session, ticket_ids: Iterable[str]) -> dict[str, AckState]:
    ids = sorted(set(ticket_ids))
    if not ids:
        return {}
    rows = session.scalars(select(BreachAck).where(BreachAck.ticket_id.in_(ids))).all()
    return {row.ticket_id: _state(row) for row in rows}


def _change_ack(
    db: Database, ticket_id: str, now: datetime, change: Callable[[BreachAck], None], what: str
) -> AckState:
    for _ in range(2):  # a concurrent first insert makes ours fail once; the second pass updates
        try:
            with db.session() as session:
                row = session.get(BreachAck, ticket_id)
                if row is None:
                    row = BreachAck(ticket_id=ticket_id, updated_at=now)
                    session.add(row)
                change(row)
                session.flush()
                return _state(row)
        except IntegrityError:
            continue
    raise RuntimeError(f"could not record the {what} of {ticket_id}")


def acknowledge(db: Database, ticket_id: str, user: str, now: datetime) -> AckState:
    """Record an acknowledgement; the first one stands (a double click or a second person changes nothing)."""

    def first_stands(row: BreachAck) -> None:
        if row.acked_by is None:
            row.acked_by, row.acked_at = user, now
            row.snoozed_until = None

    return _change_ack(db, ticket_id, now, first_stands, "acknowledgement")


def snooze(db: Database, ticket_id: str, user: str, until: datetime, now: datetime) -> AckState:
    """Snooze a breach until `until`; an acknowledged breach stays acknowledged."""

    def unless_acked(row: BreachAck) -> None:
        if row.acked_by is None:
            row.snoozed_until, row.snoozed_by = until, user

    return _change_ack(db, ticket_id, now, unless_acked, "snooze")


def snooze_until(choice: str, now: datetime, tz: ZoneInfo) -> datetime:
    """'1h', '4h', 'tomorrow' (09:00 next day, local), '1d', '1w' -> an aware UTC instant."""
    if choice == "1h":
        return now + timedelta(hours=1)
    if choice == "4h":
        return now + timedelta(hours=4)
    if choice == "1d":
        return now + timedelta(days=1)
    if choice == "1w":
        return now + timedelta(days=7)
    if choice == "tomorrow":
        day = now.astimezone(tz).date() + timedelta(days=1)
        return datetime.combine(day, SNOOZE_MORNING, tzinfo=tz).astimezone(now.tzinfo)
    raise ValueError(f"unknown snooze {choice!r}")
