"""Moving accounts between tiers the way tierbot does (CSV import, overrides, recompute) at given times."""

from __future__ import annotations

from datetime import datetime
from io import StringIO

from bot.accounts.importer import import_accounts
from bot.accounts.tiering import recompute
from bot.policy.model import Policy
from bot.tierchanges.service import TierChangeAlert, due_reports
from storage.db import Database

HEADER = "external_id,name,acv,strategic,usage_criticality\n"


def put(
    db: Database,
    policy: Policy,
    at: datetime,
    acv: int,
    *,
    strategic: bool = False,
    criticality: str = "medium",
    name: str = "Acme Corp",
) -> None:
    """Import one account row (external id ACME) at `at`."""
    row = f"ACME,{name},{acv},{'yes' if strategic else 'no'},{criticality}\n"
    report = import_accounts(db, policy, StringIO(HEADER + row), now=at, actor="ops")
    assert report.ok, report.errors


def recompute_at(db: Database, policy: Policy, at: datetime) -> int:
    with db.session() as session:
        return len(recompute(session, policy, at, actor="tierbot scheduler"))


def due(db: Database, policy: Policy, at: datetime, quiet_hours: int = 24) -> list[TierChangeAlert]:
    with db.session() as session:
        return due_reports(session, policy, at, quiet_hours)
