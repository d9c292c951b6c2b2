"""Test data: accounts with a chosen tier (no policy run) and tickets written through the importer."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from bot.policy.model import Policy
from bot.text import normalize
from bot.tickets.importer import import_ticket_events, import_tickets
from bot.tickets.parsing import ImportReport
from storage.db import Database
from storage.models import Account

COLUMNS = (
    "id", "account", "severity", "status", "created_at", "first_response_at", "solved_at",
    "handle_minutes", "agent_replies", "csat", "subject", "assignee",
)  # fmt: skip


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def add_account(
    db: Database,
    external_id: str,
    tier: str,
    acv: int = 10000,
    name: str | None = None,
    health: int | None = None,
) -> int:
    name = name or external_id.title()
    with db.session() as session:
        account = Account(
            external_id=external_id, name=name, name_key=normalize(name), acv=Decimal(acv),
            usage_criticality="medium", strategic=False, health_score=health, tier=tier,
        )  # fmt: skip
        session.add(account)
        session.flush()
        return account.id


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def tickets_csv(rows: list[dict[str, Any]], columns: tuple[str, ...] = COLUMNS) -> str:
    import csv

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(row.get(c)) for c in columns])
    return out.getvalue()


def ticket(
    tid: str, account: str, severity: str, status: str, created: datetime, **kw: Any
) -> dict[str, Any]:
    return {
        "id": tid,
        "account": account,
        "severity": severity,
        "status": status,
        "created_at": created,
        **kw,
    }


def load(db: Database, policy: Policy, rows: list[dict[str, Any]], **kw: Any) -> ImportReport:
    report = import_tickets(db, policy, io.StringIO(tickets_csv(rows)), **kw)
    assert report.ok, report.errors
    return report


def load_events(db: Database, policy: Policy, events: list[tuple[str, datetime, str]]) -> ImportReport:
    text = "ticket_id,at,status\n" + "".join(f"{t},{at.isoformat()},{s}\n" for t, at, s in events)
    report = import_ticket_events(db, policy, io.StringIO(text))
    assert report.ok, report.errors
    return report


CARD_NOW = utc(2026, 11, 18, 12, 0)


def card_tickets(db: Database, policy: Policy) -> int:
    """Account "A" (enterprise) with open tickets in every state and two solved ones, one of them
    older than 30 days, as of CARD_NOW: the /tier card's ticket section case."""
    account = add_account(db, "A", "enterprise", 50000)

    def ago(minutes: int) -> datetime:
        return CARD_NOW - timedelta(minutes=minutes)

    load(db, policy, [
        ticket("OK1", "A", "sev2", "open", ago(60), first_response_at=ago(50), subject="Slow search"),
        ticket("RISK", "A", "sev2", "open", ago(400), first_response_at=ago(395), subject="Webhooks late"),
        ticket("LATE", "A", "sev1", "new", ago(215), subject="API down"),
        ticket("WAIT", "A", "sev1", "pending", ago(100), first_response_at=ago(90), subject="Data gap"),
        ticket("DONE", "A", "sev1", "solved", ago(2000), first_response_at=ago(1990), solved_at=ago(1900),
               csat=4, agent_replies=1),
        ticket("OLD", "A", "sev1", "solved", ago(60 * 24 * 40), first_response_at=ago(60 * 24 * 40 - 5),
               solved_at=ago(60 * 24 * 39)),
    ])  # fmt: skip
    return account
