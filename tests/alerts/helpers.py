"""Seeding for the alert tests: an account with its own channel, open tickets, status events."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import update

from bot.alerts import service
from bot.alerts.model import AlertTick
from bot.policy.model import Policy
from storage.db import Database
from storage.models import Account
from storage.models.tickets import Ticket, TicketEvent
from storage.versions import TICKETS, bump_version
from tests.conftest import add_account

LATE_AFTER = timedelta(minutes=2)
GRACE = timedelta(hours=6)


def account(db: Database, policy: Policy, name: str = "Acme Corp", acv: int = 32000, *, channel: str | None = "CACME", owner: str | None = "UOWNER", health: int | None = None) -> int:  # fmt: skip
    account_id = add_account(db, policy, name, acv, owner=owner, health_score=health)
    with db.session() as session:
        session.execute(update(Account).where(Account.id == account_id).values(slack_channel=channel))
    return account_id


def ticket(db: Database, ticket_id: str, account_id: int, created: datetime, *, severity: str = "sev1", status: str = "open", assignee: str | None = "ana@example.com", first_response: datetime | None = None, sla_tier: str = "enterprise") -> None:  # fmt: skip
    with db.session() as session:
        session.add(
            Ticket(
                id=ticket_id,
                account_id=account_id,
                severity=severity,
                status=status,
                subject=f"Outage in {ticket_id}",
                assignee=assignee,
                created_at=created,
                first_response_at=first_response,
                sla_tier=sla_tier,
            )
        )
        bump_version(session, TICKETS)


def change(db: Database, ticket_id: str, at: datetime, status: str, **values: object) -> None:
    """A status change as an import would write it: the event, the ticket row, the data version."""
    with db.session() as session:
        session.add(TicketEvent(ticket_id=ticket_id, at=at, status=status))
        session.execute(update(Ticket).where(Ticket.id == ticket_id).values(status=status, **values))
        bump_version(session, TICKETS)


def tick(db: Database, policy: Policy, now: datetime) -> AlertTick:
    with db.session() as session:
        return service.due_steps(session, policy, now, late_after=LATE_AFTER, grace=GRACE)


def escalate(db: Database, policy: Policy, now: datetime) -> AlertTick:
    with db.session() as session:
        return service.due_escalations(session, policy, now, late_after=LATE_AFTER, grace=GRACE)
