"""Importing accounts from CSV: stream the file in chunks, plan each, write it in bulk, all or nothing.

Bounded memory: the file is read, validated, planned and written CHUNK rows at a time inside one
transaction, which is rolled back if any row anywhere is bad, so nothing is written unless every row
is good (a 435,000-row, 50 MB file peaked at 564 MB when it was held whole; see bench/import_memory.py).
Writing stops at the first bad row or possible duplicate and the rest is only validated; across
chunks only compact hashes of ids and names are kept (`FileDuplicates`).

Planning a chunk (matching rows to stored accounts, tiers, what made a tier move) is `import_plan.py`;
writing it (bulk statements, tier history, health changes) is `import_write.py`; here, the stream, the
checks across chunks and the report.
"""

from __future__ import annotations

import io
import os
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path
from typing import TextIO

from sqlalchemy.exc import IntegrityError

from bot.accounts.csv_duplicates import FileDuplicates
from bot.accounts.csv_rows import AccountRow, ParseResult, ProgressFn, RowError
from bot.accounts.csv_stream import iter_account_rows
from bot.accounts.import_plan import Planner, TierMove
from bot.accounts.import_write import apply_plan
from bot.policy.model import Policy
from storage.db import Database

# Rows read, planned and written at a time: ~5,000 rows hold a few MB; larger chunks save little
# (the bulk writers batch by BATCH anyway) and smaller ones pay per-chunk overhead.
CHUNK = 5000


@dataclass
class ImportReport:
    source: str
    dry_run: bool
    rows: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    tier_moves: list[TierMove] = field(default_factory=list)
    new_by_tier: dict[str, int] = field(default_factory=dict)
    errors: list[RowError] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    written: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def created(self) -> int:
        return self.new

    @property
    def bad_lines(self) -> int:
        return len({e.line for e in self.errors})


def _chunks(rows: Iterable[AccountRow], size: int) -> Iterator[list[AccountRow]]:
    it = iter(rows)
    while chunk := list(islice(it, size)):
        yield chunk


def import_accounts(
    db: Database,
    policy: Policy,
    path: str | os.PathLike[str] | TextIO,
    *,
    dry_run: bool = False,
    actor: str | None = None,
    now: datetime | None = None,
    progress: ProgressFn | None = None,
    max_bytes: int | None = None,
) -> ImportReport:
    """Stream, validate, plan and (unless dry_run or any row is bad) write, all in one transaction;
    user errors land in the report. `max_bytes` refuses a larger file before reading it."""
    now = now or datetime.now(UTC)
    source = Path(path).name if isinstance(path, str | os.PathLike) else getattr(path, "name", "stdin")
    report = ImportReport(source=str(source), dry_run=dry_run)
    if not isinstance(path, str | os.PathLike) and not (hasattr(path, "seekable") and path.seekable()):
        # Duplicates are named from a second read of their lines: a pipe is buffered to allow it.
        try:
            path = io.StringIO(path.read())
        except UnicodeDecodeError as exc:
            report.errors.append(
                RowError(None, f"the file is not UTF-8 ({exc.reason}); save it as 'CSV UTF-8' and try again")
            )
            return report
    start = 0 if isinstance(path, str | os.PathLike) else path.tell()

    def rows(parsed: ParseResult, report_progress: ProgressFn | None = None) -> Iterator[AccountRow]:
        if not isinstance(path, str | os.PathLike):
            path.seek(start)
        return iter_account_rows(path, parsed, report_progress, max_bytes)

    parsed = ParseResult()
    duplicates = FileDuplicates()
    plan_errors: list[RowError] = []
    new_by_tier: Counter[str] = Counter()
    writer = actor or f"import:{source}"
    written_through = 0  # the last line written: after a false alarm the rest is written in a second pass
    planned = written = 0
    try:
        with db.session() as session:
            planner = Planner(session, policy, now)
            writing = not dry_run
            for chunk in _chunks(rows(parsed, progress), CHUNK):
                for row in chunk:
                    duplicates.add(row)
                plan = planner.plan(chunk)
                report.new += len(plan.new)
                report.updated += len(plan.updated)
                report.unchanged += plan.unchanged
                report.tier_moves.extend(plan.tier_moves)
                new_by_tier.update(p.tier for p in plan.new)
                plan_errors.extend(plan.errors)
                planned += len(chunk)
                if progress is not None:  # phases interleave now: running counts, totals at the end
                    progress("plan", planned, None)
                if parsed.errors or plan_errors or duplicates.suspicious:
                    writing = False  # from here on only validate; the transaction is rolled back or resumed
                if writing:
                    apply_plan(session, plan, now, writer)
                    written_through = chunk[-1].line
                    written += len(plan.new) + len(plan.updated)
                    if progress is not None:
                        progress("write", written, None)
            report.notes, report.rows = parsed.notes, parsed.records
            report.new_by_tier = dict(new_by_tier)
            twice = duplicates.errors(rows(ParseResult())) if duplicates.suspicious else []
            named = {e.line for e in twice if e.line is not None}
            # A row that repeats another is reported as such, not also as what planning it found.
            found = [e for e in plan_errors if e.line not in named]
            repeats = planner.repeats(named)
            if parsed.errors or found or twice or repeats or dry_run:
                session.rollback()  # first: the same-account errors name accounts as they were stored
                errors = parsed.errors + found + twice + planner.same_account_errors(repeats)
                report.errors = sorted(errors, key=lambda e: e.line or 0)
                return report
            if not writing:
                # A possible duplicate stopped the writing, and was none (a hash collision, or one name
                # on rows that all carry distinct external_ids): write the rest.
                rest = (r for r in rows(ParseResult()) if r.line > written_through)
                for chunk in _chunks(rest, CHUNK):
                    plan = planner.plan(chunk, track=False)
                    apply_plan(session, plan, now, writer)
                    written += len(plan.new) + len(plan.updated)
            if progress is not None:
                progress("plan", planned, planned)
                progress("write", written, written)
    except IntegrityError as exc:
        # Another writer added a clashing external_id between planning and writing.
        report.errors.append(
            RowError(
                None, f"the accounts changed while importing ({exc.orig}); nothing was written, run it again"
            )
        )
        return report
    report.written = True
    return report
