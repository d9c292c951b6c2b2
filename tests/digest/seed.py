"""Ticket rows inserted directly (no importer), with the derived SLA columns set by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from storage.db import Database
from storage.models import Account
from storage.models.tickets import Ticket

# A Tuesday noon: the 24x7 targets used in these tests do not care, but a fixed instant keeps them exact.
NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def ago(minutes: int) -> datetime:
    return NOW - timedelta(minutes=minutes)


def add_ticket(
    db: Database,
    ticket_id: str,
    account_id: int,
    *,
    created: datetime,
    severity: str = "sev1",
    status: str = "open",
    responded_after: int | None = 10,  # minutes after creation; None = no first response yet
    solved_at: datetime | None = None,
    first_response_met: bool | None = None,
    resolution_met: bool | None = None,
    subject: str = "",
) -> None:
    with db.session() as session:
        tier = session.scalar(select(Account.tier).where(Account.id == account_id))
        assert tier
        responded = None if responded_after is None else created + timedelta(minutes=responded_after)
        if first_response_met is None and responded is not None:
            first_response_met = True  # the helper's default response comes well inside every target
        session.add(
            Ticket(
                id=ticket_id,
                account_id=account_id,
                severity=severity,
                status=status,
                subject=subject or f"subject of {ticket_id}",
                created_at=created,
                first_response_at=responded,
                solved_at=solved_at,
                sla_tier=tier,
                first_response_minutes=responded_after,
                resolution_minutes=None
                if solved_at is None
                else int((solved_at - created).total_seconds() // 60),
                first_response_met=first_response_met,
                resolution_met=resolution_met,
            )
        )
