from pathlib import Path

import pytest
import typer
from sqlalchemy import func, select
from typer.testing import CliRunner

from bot.cli import tickets as cli
from bot.config import Settings
from bot.services import Services
from storage.models.tickets import Ticket
from tests.sla.factories import add_account, ticket, tickets_csv, utc

SAMPLE = Path(__file__).parents[2] / "bot" / "sample_data" / "tickets.csv"


@pytest.fixture
def app(db, policy, monkeypatch):
    services = Services(settings=Settings(_env_file=None, database_url=db.url), db=db, policy=policy)
    monkeypatch.setattr(cli, "load_services", lambda: services)
    app, import_app = typer.Typer(), typer.Typer()
    app.add_typer(import_app, name="import")
    cli.register(app, import_app)
    return app


def _count(db):
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(Ticket))


def test_import_tickets_and_dry_run(app, db, tmp_path):
    add_account(db, "A-1", "enterprise")
    path = tmp_path / "t.csv"
    path.write_text(tickets_csv([ticket("C1", "A-1", "sev2", "new", utc(2026, 11, 18))]), encoding="utf-8")
    dry = CliRunner().invoke(app, ["import", "tickets", str(path), "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "Dry run of t.csv (tickets): would be 1 new, 0 updated, 0 unchanged." in dry.output
    assert _count(db) == 0
    real = CliRunner().invoke(app, ["import", "tickets", str(path)])
    assert real.exit_code == 0, real.output
    assert "Imported t.csv (tickets): 1 new, 0 updated, 0 unchanged." in real.output
    assert _count(db) == 1


def test_bad_file_exits_1_and_lists_lines(app, db, tmp_path):
    add_account(db, "A-1", "enterprise")
    path = tmp_path / "t.csv"
    path.write_text(tickets_csv([ticket("C1", "A-1", "sev2", "new", utc(2026, 11, 18)),
                                 ticket("C2", "B-2", "sev2", "new", utc(2026, 11, 18))]))  # fmt: skip
    result = CliRunner().invoke(app, ["import", "tickets", str(path)])
    assert result.exit_code == 1
    assert "nothing was written" in result.output
    assert "line 3: unknown account 'B-2'" in result.output
    assert _count(db) == 0


def test_ticket_events_command(app, db, tmp_path):
    add_account(db, "A-1", "enterprise")
    path = tmp_path / "t.csv"
    path.write_text(tickets_csv([ticket("C1", "A-1", "sev2", "open", utc(2026, 11, 18))]))
    assert CliRunner().invoke(app, ["import", "tickets", str(path)]).exit_code == 0
    events = tmp_path / "e.csv"
    events.write_text("ticket_id,at,status\nC1,2026-11-18T01:00:00Z,pending\n")
    result = CliRunner().invoke(app, ["import", "ticket-events", str(events)])
    assert result.exit_code == 0, result.output
    assert "Imported e.csv (ticket events): 1 new" in result.output


def test_sample_tickets_reference_sample_accounts(db, policy):
    import csv

    accounts_file = SAMPLE.with_name("accounts.csv")
    names = {}
    with accounts_file.open(encoding="utf-8-sig") as fh:
        for row in csv.DictReader(fh):
            names[row["external_id"]] = row["name"]
    for i, (external_id, name) in enumerate(names.items()):
        add_account(db, external_id, ("enterprise", "professional", "starter")[i % 3], name=name)
    from bot.tickets.importer import import_tickets

    report = import_tickets(db, policy, SAMPLE)
    assert report.ok, report.errors
    assert 35 <= report.created <= 50
