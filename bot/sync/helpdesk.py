"""Applying helpdesk pages: organizations become links to accounts, tickets become ticket rows.

Organizations are linked by external_id (an account's external id or its CRM record id), else by
domain (`domain_names`), and only when exactly one account matches. Tickets are linked through their
organization. Ticket rows are stored as the CSV ticket import stores them, SLA outcomes included; a
status that differs from the stored one also becomes a status event (at the ticket's updated_at), so
SLA clocks pause and resume as the helpdesk's did between syncs.

A ticket the export returns with status "deleted" (Zendesk keeps deleted tickets in the export) is
deleted here too: it leaves the open set, so it stops alerting and breaching, and it leaves the
digests and SLA attainment as it left the helpdesk's own reports. Its status events and pending
alert steps go with it (foreign keys, ON DELETE CASCADE); the alert history keeps what was posted.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, insert, or_, select, update
from sqlalchemy.orm import Session

from bot.policy.model import Policy
from bot.sla.clock import decided_outcomes, is_solved
from bot.sla.state import events_by_ticket
from bot.sla.targets import Targets
from bot.sync.accounts import PageResult
from bot.sync.records import Reject
from bot.sync.types import RemoteOrg, RemoteTicket
from bot.text import storable
from bot.tickets.bulk import bulk_insert
from bot.tickets.rows import TicketRow
from storage.models import Account
from storage.models.sync import PushedTier, SyncLink
from storage.models.tickets import SUBJECT_LENGTH, Ticket, TicketEvent

ORGS = "zendesk-orgs"
TARGET = "zendesk"
DELETED = "deleted"
SEVERITY = {"urgent": "sev1", "high": "sev2", "normal": "sev3", "low": "sev4", None: "sev3"}
STATUS = {
    "new": "new",
    "open": "open",
    "pending": "pending",
    "hold": "on-hold",
    "solved": "solved",
    "closed": "closed",
}
_TICKETS = cast(Table, Ticket.__table__)
_FIELDS = ("account_id", "severity", "status", "subject", "assignee", "created_at", "first_response_at",
           "solved_at", "agent_replies")  # fmt: skip


def upsert_rows(session: Session, model: Any, keys: tuple[str, str], rows: list[dict[str, Any]]) -> None:
    """Insert or update rows by their two-column primary key (portable: no dialect upsert)."""
    if not rows:
        return
    a, b = (getattr(model, k) for k in keys)
    stored = {
        (x, y)
        for x, y in session.execute(
            select(a, b).where(a == rows[0][keys[0]], b.in_([r[keys[1]] for r in rows]))
        )
    }
    new = [r for r in rows if (r[keys[0]], r[keys[1]]) not in stored]
    old = [{**r, "k0": r[keys[0]], "k1": r[keys[1]]} for r in rows if (r[keys[0]], r[keys[1]]) in stored]
    if new:
        session.execute(insert(model), new)
    if old:
        table = model.__table__
        stmt = update(table).where(table.c[keys[0]] == bindparam("k0"), table.c[keys[1]] == bindparam("k1"))
        session.connection().execute(stmt, [{k: v for k, v in r.items() if k not in keys} for r in old])


def apply_orgs(session: Session, orgs: Sequence[RemoteOrg], tier_field: str, now: datetime) -> PageResult:
    result = PageResult()
    if not orgs:
        return result
    c = Account.__table__.c
    exts = {o.external_id for o in orgs if o.external_id}
    domains = {d for o in orgs for d in o.domains}
    by_ext: dict[str, set[int]] = {}
    by_domain: dict[str, set[int]] = {}
    if exts:
        for row in session.execute(
            select(c.id, c.external_id, c.source_id).where(
                or_(c.external_id.in_(exts), c.source_id.in_(exts))
            )
        ):
            for key in {row.external_id, row.source_id} & exts:
                by_ext.setdefault(key, set()).add(row.id)
    if domains:
        for hit in session.execute(select(c.id, c.domain).where(c.domain.in_(domains))):
            by_domain.setdefault(hit.domain, set()).add(hit.id)
    links: list[dict[str, Any]] = []
    seen_tiers: list[dict[str, Any]] = []
    for org in orgs:
        found = by_ext.get(org.external_id, set()) if org.external_id else set()
        how = "external_id"
        if not found:
            found = set().union(*(by_domain.get(d, set()) for d in org.domains)) if org.domains else set()
            how = "domain"
        if len(found) != 1:
            why = "matches no account" if not found else f"matches {len(found)} accounts by {how}"
            result.rejects.append(
                Reject(org.id, how, f"organization {org.name!r} {why} (external_id or domain)")
            )
            continue
        account_id = found.pop()
        links.append({"source": ORGS, "remote_id": org.id, "account_id": account_id, "updated_at": now})
        value = org.fields.get(tier_field)
        if isinstance(value, str) and value:  # what the organization holds now: no need to write it again
            seen_tiers.append(
                {
                    "target": TARGET,
                    "remote_id": org.id,
                    "account_id": account_id,
                    "tier": value,
                    "pushed_at": now,
                }
            )
    upsert_rows(session, SyncLink, ("source", "remote_id"), links)
    upsert_rows(session, PushedTier, ("target", "remote_id"), seen_tiers)
    result.updated = len(links)
    return result


def apply_tickets(
    session: Session, policy: Policy, tickets: Sequence[RemoteTicket], now: datetime
) -> PageResult:
    result = PageResult()
    if not tickets:
        return result
    org_ids = list({t.organization_id for t in tickets if t.organization_id})
    accounts: dict[str, tuple[int, str]] = {}
    if org_ids:
        rows = session.execute(
            select(SyncLink.remote_id, Account.id, Account.tier)
            .join(Account, Account.id == SyncLink.account_id)
            .where(SyncLink.source == ORGS, SyncLink.remote_id.in_(org_ids))
        )
        accounts = {r.remote_id: (r.id, r.tier) for r in rows}
    batch: dict[str, tuple[TicketRow, str]] = {}
    gone = {t.id for t in tickets if t.status == DELETED}
    if gone:
        # A later record of the same ticket in this page (restored) is applied after the delete.
        result.deleted = session.execute(delete(Ticket).where(Ticket.id.in_(gone))).rowcount  # type: ignore[attr-defined]
    for t in tickets:
        if t.status == DELETED:
            batch.pop(t.id, None)
            continue
        status = STATUS.get(t.status)
        if status is None:
            result.rejects.append(Reject(t.id, "status", f"status {t.status!r} is not synced"))
            continue
        found = accounts.get(t.organization_id or "")
        if found is None:
            why = (
                "has no organization"
                if not t.organization_id
                else f"organization {t.organization_id} is not linked to an account"
            )
            result.rejects.append(Reject(t.id, "organization_id", f"ticket {why}"))
            continue
        responded = (
            t.created_at + timedelta(minutes=t.first_reply_minutes)
            if t.first_reply_minutes is not None
            else None
        )
        solved = t.solved_at or (t.updated_at if is_solved(status) else None)
        subject = storable(t.subject)
        subject = subject if len(subject) <= SUBJECT_LENGTH else subject[: SUBJECT_LENGTH - 1] + "…"
        assignee = storable(t.assignee_id) if t.assignee_id is not None else None
        row = TicketRow(0, t.id, found[0], SEVERITY.get(t.priority, "sev3"), status, subject, assignee,
                        t.created_at, responded, solved, 0, t.replies, None)  # fmt: skip
        batch[t.id] = (row, found[1])
    if not batch:
        return result
    conn = session.connection()
    existing = {r.id: r for r in conn.execute(select(_TICKETS).where(_TICKETS.c.id.in_(list(batch))))}
    events_new = [
        {"ticket_id": tid, "at": max(t.updated_at, t.created_at), "status": batch[tid][0].status}
        for t in tickets
        if (tid := t.id) in batch and tid in existing and existing[tid].status != batch[tid][0].status
    ]
    if events_new:
        stored_at = {
            (r.ticket_id, r.at)
            for r in conn.execute(
                select(TicketEvent.ticket_id, TicketEvent.at).where(
                    TicketEvent.ticket_id.in_([e["ticket_id"] for e in events_new])
                )
            )
        }
        events_new = [e for e in events_new if (e["ticket_id"], e["at"]) not in stored_at]
        session.execute(insert(TicketEvent), events_new)
    events = events_by_ticket(session, list(existing)) if existing else {}
    targets = Targets(policy)
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    for tid, (row, tier) in batch.items():
        old = existing.get(tid)
        if old is not None and all(getattr(row, f) == getattr(old, f) for f in _FIELDS):
            result.unchanged += 1
            continue
        outcome = decided_outcomes(row, events.get(tid, ()), targets.get(tier, row.severity))
        values = {f: getattr(row, f) for f in _FIELDS}
        values.update(
            handle_minutes=old.handle_minutes if old is not None else 0,
            csat=old.csat if old is not None else None,
            sla_tier=tier if old is None else old.sla_tier,
            first_response_minutes=outcome.first_response_minutes,
            resolution_minutes=outcome.resolution_minutes,
            first_response_met=outcome.first_response_met,
            resolution_met=outcome.resolution_met,
            updated_at=now,
        )
        if old is None:
            inserts.append({"id": tid, **values})
        else:
            updates.append({"b_id": tid, **values})
    if inserts:
        bulk_insert(conn, _TICKETS, inserts)
    if updates:
        conn.execute(update(_TICKETS).where(_TICKETS.c.id == bindparam("b_id")), updates)
    result.created, result.updated = len(inserts), len(updates)
    return result
