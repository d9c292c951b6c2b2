"""The bundled sample data that `make run` starts on."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from bot.services import Services
from storage.models import Account

HERE = Path(__file__).parent
ACCOUNTS_CSV = HERE / "accounts.csv"
TICKETS_CSV = HERE / "tickets.csv"


def load_sample_data(services: Services) -> str:
    """Import the sample accounts and tickets into an empty database; leaves existing data alone."""
    with services.db.session() as session:
        if session.scalar(select(func.count()).select_from(Account)):
            return "using the accounts already in the database"
    from bot.accounts.importer import import_accounts

    now = services.clock()
    report = import_accounts(
        services.db, services.policy, ACCOUNTS_CSV, dry_run=False, actor="sample-data", now=now
    )
    loaded = f"loaded {report.created} sample accounts"
    if TICKETS_CSV.exists():
        from bot.tickets.importer import import_tickets

        tickets = import_tickets(services.db, services.policy, TICKETS_CSV, dry_run=False, now=now)
        loaded += f" and {tickets.created} sample tickets"
    services.invalidate()
    return loaded
