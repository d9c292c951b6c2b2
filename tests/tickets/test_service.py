"""bot.tickets.service: all-or-nothing imports with frozen, typed results."""

import dataclasses
import io

import pytest
from sqlalchemy import func, select

from bot.tickets.service import ImportKind, ImportOutcome, RowError, import_ticket_events, import_tickets
from storage.models.tickets import Ticket, TicketEvent
from tests.sla.factories import add_account, ticket, tickets_csv, utc

NOW = utc(2026, 11, 20, 9, 0)


def _csv(*rows: dict) -> io.StringIO:
    return io.StringIO(tickets_csv(list(rows)))


def _count(db, model=Ticket):
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_outcomes_of_a_good_file(db, policy):
    add_account(db, "A-1", "enterprise")
    rows = [
        ticket("C1", "A-1", "sev2", "new", utc(2026, 11, 18)),
        ticket("C2", "A-1", "sev3", "open", utc(2026, 11, 18)),
    ]
    checked = import_tickets(db, policy, _csv(*rows), now=NOW, dry_run=True)
    assert (checked.kind, checked.outcome, checked.ok, checked.created) == (
        ImportKind.TICKETS, ImportOutcome.CHECKED, True, 2,
    )  # fmt: skip
    assert _count(db) == 0
    written = import_tickets(db, policy, _csv(*rows), now=NOW)
    assert (written.outcome, written.rows, written.created, written.errors) == (
        ImportOutcome.WRITTEN,
        2,
        2,
        (),
    )
    with db.session() as session:
        assert session.get(Ticket, "C1").updated_at == NOW  # the write time is the caller's `now`
    again = import_tickets(db, policy, _csv(*rows), now=NOW)
    assert (again.outcome, again.unchanged) == (ImportOutcome.UNCHANGED, 2)
    with pytest.raises(dataclasses.FrozenInstanceError):
        again.created = 5  # type: ignore[misc]


def test_a_bad_file_is_rejected_whole_with_every_reject_named(db, policy):
    add_account(db, "A-1", "enterprise")
    result = import_tickets(
        db,
        policy,
        _csv(
            ticket("C1", "A-1", "sev2", "new", utc(2026, 11, 18)),
            ticket("C2", "B-2", "sev2", "new", utc(2026, 11, 18)),
            ticket("C3", "A-1", "sev9", "new", utc(2026, 11, 18)),
        ),
        now=NOW,
    )
    assert (result.outcome, result.ok, result.rows, result.created) == (ImportOutcome.REJECTED, False, 3, 0)
    assert result.errors == (
        RowError(3, "unknown account 'B-2' (no account has that external id or name)"),
        RowError(4, "severity 'sev9' is not sev1-sev4 or urgent/high/normal/low"),
    )
    assert _count(db) == 0


def test_ticket_events(db, policy):
    add_account(db, "A-1", "enterprise")
    import_tickets(db, policy, _csv(ticket("C1", "A-1", "sev2", "open", utc(2026, 11, 18))), now=NOW)
    events = "ticket_id,at,status\nC1,2026-11-18T01:00:00Z,pending\nC9,2026-11-18T01:00:00Z,open\n"
    rejected = import_ticket_events(db, policy, io.StringIO(events))
    assert (rejected.kind, rejected.outcome) == (ImportKind.TICKET_EVENTS, ImportOutcome.REJECTED)
    assert rejected.errors == (RowError(3, "unknown ticket 'C9' (import the tickets first)"),)
    assert _count(db, TicketEvent) == 0
    written = import_ticket_events(db, policy, io.StringIO(events.rsplit("C9", 1)[0]))
    assert (written.outcome, written.created) == (ImportOutcome.WRITTEN, 1)
    assert _count(db, TicketEvent) == 1
