"""A NUL in a ticket CSV cell is dropped at input: PostgreSQL refuses it in a text column, SQLite keeps it."""

from __future__ import annotations

import io

from sqlalchemy import select

from bot.policy.model import Policy
from bot.tickets.service import import_tickets
from storage.db import Database
from storage.models.tickets import Ticket
from tests.conftest import add_account


def test_a_nul_in_a_ticket_cell_is_dropped(db: Database, policy: Policy) -> None:
    from datetime import UTC, datetime

    add_account(db, policy, "Acme", 30000, external_id="ACME")
    csv_text = (
        "ticket_id,account,severity,status,subject,created_at\n"
        "T-1,ACME,sev2,open,Login\x00 fails,2026-11-01T10:00:00Z\n"
    )
    result = import_tickets(db, policy, io.StringIO(csv_text), now=datetime(2026, 11, 2, tzinfo=UTC))
    assert result.ok, result.errors
    with db.session() as session:
        subject = session.scalars(select(Ticket.subject)).one()
    assert subject == "Login fails"
