"""Tickets' stored SLA outcomes (first response and resolution, in minutes and met or not), judged by
`bot.sla.clock.decided_outcomes` against the targets of the tier a ticket was opened in. The importers
store them with each ticket and refresh them when its events change.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.orm import Session

from bot.policy.model import Policy
from bot.sla.clock import decided_outcomes
from bot.sla.state import events_by_ticket
from bot.sla.targets import Targets
from storage.models.tickets import Ticket

BATCH = 2000  # tickets per SELECT ... IN and per executemany
TICKETS = cast(Table, Ticket.__table__)


def refresh_outcomes(session: Session, policy: Policy, ticket_ids: Sequence[str]) -> int:
    """Recompute the stored SLA outcomes of these tickets (after their events changed, or the policy);
    keeps each ticket's `sla_tier`. Returns how many rows changed."""
    targets = Targets(policy)
    changed = 0
    columns = ("first_response_minutes", "resolution_minutes", "first_response_met", "resolution_met")
    for start in range(0, len(ticket_ids), BATCH):
        chunk = list(ticket_ids[start : start + BATCH])
        rows = session.connection().execute(select(TICKETS).where(TICKETS.c.id.in_(chunk))).all()
        events = events_by_ticket(session, chunk)
        updates = []
        for row in rows:
            outcome = decided_outcomes(row, events.get(row.id, ()), targets.get(row.sla_tier, row.severity))
            values = {name: getattr(outcome, name) for name in columns}
            if any(values[name] != getattr(row, name) for name in columns):
                updates.append({"b_id": row.id, **values})
        if updates:
            session.connection().execute(update(TICKETS).where(TICKETS.c.id == bindparam("b_id")), updates)
            changed += len(updates)
    return changed
