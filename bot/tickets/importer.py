"""CSV import of tickets and ticket status events: all-or-nothing, upsert, fast on a million rows.

The engine behind `bot.tickets.service` (the front door, which returns frozen results).

The file is read once, in batches. Each batch is validated row by row, compared with what is stored
(one query per batch), and written with executemany Core statements inside one transaction that spans
the whole file. Any bad row anywhere turns writing off and rolls the transaction back at the end, so
nothing of a bad file is kept, and every bad row is still reported with its line.

Decisions:
- An `account` cell is an external id, or else an exact account name (case- and accent-insensitive when
  that is unique). A name shared by several accounts is refused: use the external id.
- Subjects longer than the column (500 characters) are cut and the report says how many; a subject is
  display text, not worth refusing a whole export for. Over-long ids and assignees are refused.
- An optional column missing from the file leaves stored values alone on re-import.
- A `solved_at` on a ticket that is not solved (a reopened ticket) is kept but not used by any clock.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.orm import Session

from bot.policy.model import Policy
from bot.sla.clock import decided_outcomes
from bot.sla.state import events_by_ticket
from bot.sla.targets import Targets
from bot.tickets.bulk import bulk_insert
from bot.tickets.outcomes import refresh_outcomes
from bot.tickets.parsing import (
    BadValue,
    ImportKind,
    ImportReport,
    Progress,
    RowError,
    Source,
    UnreadableFile,
    open_source,
    parse_status,
    parse_text,
    parse_time,
    read_records,
)
from bot.tickets.rows import AccountLookup, TicketRow, parse_ticket
from storage.db import Database
from storage.models.tickets import SUBJECT_LENGTH, Ticket, TicketEvent
from storage.versions import TICKETS, bump_version

__all__ = [
    "ImportReport",
    "RowError",
    "import_ticket_events",
    "import_tickets",
    "refresh_outcomes",
]

BATCH = 2000
REQUIRED = ("id", "account", "severity", "status", "created_at")
OPTIONAL = (
    "first_response_at",
    "solved_at",
    "handle_minutes",
    "agent_replies",
    "csat",
    "subject",
    "assignee",
)
ALIASES = {
    "ticket_id": "id",
    "priority": "severity",
    "account_external_id": "account",
    "account_name": "account",
}
# Stored fields an import can change; a row equal on all of them is "unchanged".
FIELDS = ("account_id", "severity", "status", "subject", "assignee", "created_at", "first_response_at",
          "solved_at", "handle_minutes", "agent_replies", "csat")  # fmt: skip
EVENT_REQUIRED = ("ticket_id", "at", "status")
EVENT_ALIASES = {
    "id": "ticket_id",
    "ticket": "ticket_id",
    "time": "at",
    "timestamp": "at",
    "changed_at": "at",
}
_TABLE = cast(Table, Ticket.__table__)
_EVENTS = cast(Table, TicketEvent.__table__)


def import_tickets(
    db: Database,
    policy: Policy,
    source: Source,
    *,
    dry_run: bool = False,
    progress: Progress | None = None,
    now: datetime | None = None,
) -> ImportReport:
    """Upsert tickets by id from a CSV file; nothing is written if any row is bad or `dry_run`.
    `now` is the write time stored in `updated_at` (default: the current time)."""
    report = ImportReport(kind=ImportKind.TICKETS, dry_run=dry_run)
    with open_source(source) as (stream, total), db.session() as session:
        records, notes, header_errors = read_records(stream, REQUIRED, OPTIONAL, ALIASES)
        report.notes.extend(notes)
        if records is None:
            report.errors.extend(header_errors)
            return report
        accounts = AccountLookup(session)
        targets = Targets(policy)
        empty = session.connection().execute(select(_TABLE.c.id).limit(1)).first() is None
        present = frozenset(records.columns)
        seen: dict[str, int] = {}
        truncated: list[int] = []
        batch: list[TicketRow] = []
        now = now or datetime.now(UTC)
        try:
            for line, values in records:
                report.rows += 1
                if isinstance(values, str):
                    report.errors.append(RowError(line, values))
                    continue
                try:
                    row = parse_ticket(line, values, accounts, truncated)
                except BadValue as exc:
                    report.errors.append(RowError(line, str(exc)))
                    continue
                if row.id in seen:
                    report.errors.append(
                        RowError(line, f"ticket {row.id!r} is already on line {seen[row.id]}")
                    )
                    continue
                seen[row.id] = line
                batch.append(row)
                if len(batch) >= BATCH:
                    _flush_tickets(session, batch, accounts, targets, present, report, now, empty)
                    batch = []
                    if progress:
                        progress(report.rows, max(total, report.rows))
        except UnreadableFile as exc:
            report.errors.append(exc.error)
        if batch:
            _flush_tickets(session, batch, accounts, targets, present, report, now, empty)
        if progress:
            progress(report.rows, report.rows)
        if truncated:
            lines = ", ".join(map(str, truncated[:10])) + (" …" if len(truncated) > 10 else "")
            report.notes.append(
                f"{len(truncated)} subject(s) cut to {SUBJECT_LENGTH} characters (lines {lines})"
            )
        _finish(session, report)
    return report


def _flush_tickets(
    session: Session,
    batch: Sequence[TicketRow],
    accounts: AccountLookup,
    targets: Targets,
    present: frozenset[str],
    report: ImportReport,
    now: datetime,
    empty_table: bool,
) -> None:
    if report.errors:
        return  # nothing will be written; the rest of the file is only validated
    existing: dict[str, Any] = {}
    if not empty_table:  # a first import into an empty table has nothing to compare with
        ids = [r.id for r in batch]
        existing = {r.id: r for r in session.connection().execute(select(_TABLE).where(_TABLE.c.id.in_(ids)))}
    events = events_by_ticket(session, list(existing)) if existing else {}
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    for row in batch:
        old = existing.get(row.id)
        if old is not None:
            for name in FIELDS:  # columns the file lacks keep their stored values
                if name not in present and name in OPTIONAL:
                    setattr(row, name, getattr(old, name))
            if all(getattr(row, name) == getattr(old, name) for name in FIELDS):
                report.unchanged += 1
                continue
        # A ticket keeps the tier it was opened in (README, "Tier changes and open tickets"): a
        # re-import after its account moved tier must not re-judge it, solved or open. A ticket that
        # moved to another account is judged anew under that account's tier.
        if old is not None and old.account_id == row.account_id:
            tier = old.sla_tier
        else:
            tier = accounts.tier[row.account_id]
        outcome = decided_outcomes(row, events.get(row.id, ()), targets.get(tier, row.severity))
        values = {name: getattr(row, name) for name in FIELDS}
        values.update(
            sla_tier=tier,
            first_response_minutes=outcome.first_response_minutes,
            resolution_minutes=outcome.resolution_minutes,
            first_response_met=outcome.first_response_met,
            resolution_met=outcome.resolution_met,
            updated_at=now,
        )
        if old is None:
            values["id"] = row.id
            inserts.append(values)
        else:
            values["b_id"] = row.id
            updates.append(values)
    report.created += len(inserts)
    report.updated += len(updates)
    if report.dry_run:
        return
    if inserts:
        bulk_insert(session.connection(), _TABLE, inserts)
    if updates:
        session.connection().execute(update(_TABLE).where(_TABLE.c.id == bindparam("b_id")), updates)


def _finish(session: Session, report: ImportReport) -> None:
    if not report.ok:
        report.created = report.updated = report.unchanged = 0
        # Checks against stored rows run per batch, after the row's own checks: report in file order.
        report.errors.sort(key=lambda e: e.line)
    if report.ok and not report.dry_run and (report.created or report.updated):
        bump_version(session, TICKETS)
    else:
        session.rollback()


def import_ticket_events(
    db: Database,
    policy: Policy,
    source: Source,
    *,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    """Upsert status events by (ticket_id, at), then refresh the stored outcomes of the tickets they
    touch. The tickets must already be imported. Nothing is written if any row is bad or `dry_run`."""
    report = ImportReport(kind=ImportKind.TICKET_EVENTS, dry_run=dry_run)
    with open_source(source) as (stream, total), db.session() as session:
        records, notes, header_errors = read_records(stream, EVENT_REQUIRED, (), EVENT_ALIASES)
        report.notes.extend(notes)
        if records is None:
            report.errors.extend(header_errors)
            return report
        seen: dict[tuple[str, float], int] = {}
        touched: set[str] = set()
        batch: list[tuple[int, str, datetime, str]] = []
        try:
            for line, values in records:
                report.rows += 1
                if isinstance(values, str):
                    report.errors.append(RowError(line, values))
                    continue
                problems: list[str] = []
                parsed: list[Any] = []
                for parse, args in (
                    (parse_text, ("ticket_id", values["ticket_id"], 64)),
                    (parse_time, ("at", values["at"], True)),
                    (parse_status, (values["status"],)),
                ):
                    try:
                        parsed.append(parse(*args))
                    except BadValue as exc:
                        problems.append(str(exc))
                if not problems and not parsed[0]:
                    problems.append("ticket_id is empty")
                if problems:
                    report.errors.append(RowError(line, "; ".join(problems)))
                    continue
                ticket_id, at, status = parsed
                key = (ticket_id, at.timestamp())
                if key in seen:
                    report.errors.append(RowError(line, f"ticket {ticket_id!r} already has an event at {at} "
                                                        f"on line {seen[key]}"))  # fmt: skip
                    continue
                seen[key] = line
                batch.append((line, ticket_id, at, status))
                if len(batch) >= BATCH:
                    _flush_events(session, batch, report, touched)
                    batch = []
                    if progress:
                        progress(report.rows, max(total, report.rows))
        except UnreadableFile as exc:
            report.errors.append(exc.error)
        if batch:
            _flush_events(session, batch, report, touched)
        if progress:
            progress(report.rows, report.rows)
        if report.ok and not dry_run and touched:
            refresh_outcomes(session, policy, sorted(touched))
        _finish(session, report)
    return report


def _flush_events(
    session: Session, batch: Sequence[tuple[int, str, datetime, str]], report: ImportReport, touched: set[str]
) -> None:
    """Check the batch against stored tickets (every bad row is reported) and write it while the file
    is still good."""
    ids = sorted({ticket_id for _, ticket_id, _, _ in batch})
    created_at = dict(
        session.connection()
        .execute(select(_TABLE.c.id, _TABLE.c.created_at).where(_TABLE.c.id.in_(ids)))
        .all()
    )
    good = []
    for line, ticket_id, at, status in batch:
        if ticket_id not in created_at:
            report.errors.append(RowError(line, f"unknown ticket {ticket_id!r} (import the tickets first)"))
        elif at < created_at[ticket_id]:
            report.errors.append(
                RowError(line, f"event at {at.isoformat()} is before the ticket was created")
            )
        else:
            good.append((ticket_id, at, status))
    if report.errors:
        return
    stored = {
        (r.ticket_id, r.at.timestamp()): (r.id, r.status)
        for r in session.connection().execute(
            select(_EVENTS.c.id, _EVENTS.c.ticket_id, _EVENTS.c.at, _EVENTS.c.status).where(
                _EVENTS.c.ticket_id.in_(ids)
            )
        )
    }
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    for ticket_id, at, status in good:
        old = stored.get((ticket_id, at.timestamp()))
        if old is None:
            inserts.append({"ticket_id": ticket_id, "at": at, "status": status})
        elif old[1] != status:
            updates.append({"b_id": old[0], "status": status})
        else:
            report.unchanged += 1
            continue
        touched.add(ticket_id)
    report.created += len(inserts)
    report.updated += len(updates)
    if report.dry_run:
        return
    if inserts:
        session.connection().execute(insert(_EVENTS), inserts)
    if updates:
        session.connection().execute(update(_EVENTS).where(_EVENTS.c.id == bindparam("b_id")), updates)
