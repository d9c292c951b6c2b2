"""Writing a planned accounts import: the accounts with bulk statements and their tier history, in the
caller's transaction (`importer.py` commits or rolls back the whole file)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast, overload

from sqlalchemy import Table
from sqlalchemy.orm import Session

from bot.accounts.bulk import ROW_ID, insert_rows, insert_with_ids, sqlite_cache, update_rows
from bot.accounts.csv_rows import ProgressFn
from bot.accounts.delta import deltas_json
from bot.accounts.import_plan import ACCOUNTS_TABLE, FIELDS, ImportPlan, PlannedAccount
from bot.alerts.service import record_health_changes
from storage.models import TierChange
from storage.versions import ACCOUNT_NAMES, ACCOUNTS, bump_version

CAUSE = "import"
HISTORY_TABLE = cast(Table, TierChange.__table__)
HISTORY_BATCH = 5000


class _Rows(Sequence[dict[str, Any]]):
    """Planned accounts as the row dicts the bulk writers take, made one batch at a time."""

    def __init__(self, planned: list[PlannedAccount], with_id: bool) -> None:
        self.planned = planned
        self.with_id = with_id

    def _row(self, p: PlannedAccount) -> dict[str, Any]:
        row = dict(zip(FIELDS, p.values, strict=True))
        row["tier"] = p.tier
        if self.with_id:
            row[ROW_ID] = p.account_id
        return row

    def __len__(self) -> int:
        return len(self.planned)

    @overload
    def __getitem__(self, index: int) -> dict[str, Any]: ...

    @overload
    def __getitem__(self, index: slice) -> list[dict[str, Any]]: ...

    def __getitem__(self, index: int | slice) -> dict[str, Any] | list[dict[str, Any]]:
        if isinstance(index, slice):
            return [self._row(p) for p in self.planned[index]]
        return self._row(self.planned[index])


def apply_plan(
    session: Session, plan: ImportPlan, now: datetime, actor: str, progress: ProgressFn | None = None
) -> None:
    """Write a plan with bulk statements in the session's transaction; the caller commits.

    Tier history gets what record_tier would write: one entry per new account and per moved tier.
    """
    if plan.errors:
        raise ValueError("a plan with errors must not be applied")
    if not plan.new and not plan.updated:
        return
    # Bumping first also takes SQLite's write lock, which insert_with_ids relies on.
    bump_version(session, ACCOUNTS)
    bump_version(session, ACCOUNT_NAMES)
    session.flush()
    conn = session.connection()
    total = len(plan.new) + len(plan.updated)

    def report(done: int) -> None:
        if progress is not None:
            progress("write", done, total)

    with sqlite_cache(conn):
        stamps = {"created_at": now, "updated_at": now}
        ids = insert_with_ids(conn, ACCOUNTS_TABLE, _Rows(plan.new, with_id=False), stamps, report)
        for planned, account_id in zip(plan.new, ids, strict=True):
            planned.account_id = account_id
        rows = _Rows(plan.updated, with_id=True)
        update_rows(conn, ACCOUNTS_TABLE, rows, {"updated_at": now}, lambda done: report(len(ids) + done))
        for p in (*plan.new, *plan.updated):
            p.values = ()  # written: let 100k tuples go before the history is built
        moved = [p for p in (*plan.new, *plan.updated) if p.tier_moves]
        # History in batches: 100k history dicts at once would be the import's memory peak.
        for start in range(0, len(moved), HISTORY_BATCH):
            history = [
                {
                    "account_id": p.account_id,
                    "from_tier": p.previous_tier,
                    "to_tier": p.tier,
                    "cause": CAUSE,
                    "detail": p.detail,
                    "actor": actor,
                    "delta": deltas_json(p.delta),
                }
                for p in moved[start : start + HISTORY_BATCH]
            ]
            insert_rows(conn, HISTORY_TABLE, history, {"at": now})
        # Health scores keep their old value with its time: health alerts read drops from this.
        record_health_changes(session, plan.health_changes, now)
