"""The tickets capability's front door: import a helpdesk export of tickets or of ticket status events.

Each import is all-or-nothing per file: one bad row anywhere (or a bad header) and nothing of the file
is written, and the result names every rejected row with its line and reason, so one run shows all
that is wrong. A dry run checks the whole file the same way and writes nothing. Results are frozen
`ImportResult`s; the CLI (`bot/cli/tickets.py`) words them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.policy.model import Policy
from bot.tickets import importer
from bot.tickets.parsing import ImportKind, ImportReport, Progress, RowError, Source
from storage.db import Database

__all__ = [
    "ImportKind",
    "ImportOutcome",
    "ImportResult",
    "Progress",
    "RowError",
    "Source",
    "import_ticket_events",
    "import_tickets",
]


class ImportOutcome(StrEnum):
    REJECTED = "rejected"  # bad rows or header: nothing written, every reject in `errors`
    CHECKED = "checked"  # a dry run of a good file: nothing written
    WRITTEN = "written"  # a good file with new or changed rows, written
    UNCHANGED = "unchanged"  # a good file that matches what is stored: nothing to write


@dataclass(frozen=True)
class ImportResult:
    kind: ImportKind
    outcome: ImportOutcome
    rows: int  # data rows read, good or bad
    created: int  # rows new to the database (would be, in a dry run; 0 when rejected)
    updated: int
    unchanged: int
    errors: tuple[RowError, ...] = ()  # every rejected row, in file order
    notes: tuple[str, ...] = ()  # what was accepted with a remark (ignored columns, cut subjects)

    @property
    def ok(self) -> bool:
        return self.outcome is not ImportOutcome.REJECTED


def import_tickets(
    db: Database,
    policy: Policy,
    source: Source,
    *,
    now: datetime,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> ImportResult:
    """Upsert tickets by id, with their SLA outcomes judged under each account's current tier; `now` is
    the write time stored on changed rows. `progress(done, total)` is called once per batch."""
    report = importer.import_tickets(db, policy, source, dry_run=dry_run, progress=progress, now=now)
    return _result(report)


def import_ticket_events(
    db: Database,
    policy: Policy,
    source: Source,
    *,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> ImportResult:
    """Upsert status events by (ticket_id, at) and refresh the stored SLA outcomes of the tickets they
    touch. Their tickets must be imported first (an event of an unknown ticket is a reject)."""
    report = importer.import_ticket_events(db, policy, source, dry_run=dry_run, progress=progress)
    return _result(report)


def _result(report: ImportReport) -> ImportResult:
    if not report.ok:
        outcome = ImportOutcome.REJECTED
    elif report.dry_run:
        outcome = ImportOutcome.CHECKED
    elif report.written:
        outcome = ImportOutcome.WRITTEN
    else:
        outcome = ImportOutcome.UNCHANGED
    return ImportResult(
        kind=report.kind,
        outcome=outcome,
        rows=report.rows,
        created=report.created,
        updated=report.updated,
        unchanged=report.unchanged,
        errors=tuple(report.errors),
        notes=tuple(report.notes),
    )
