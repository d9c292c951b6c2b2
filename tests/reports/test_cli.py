"""`tierbot report` in every format, and `--chart`."""

import csv
import io
import json

import pytest
import typer
from typer.testing import CliRunner

from bot.cli import report as cli
from bot.config import Settings
from bot.services import Services
from tests.reports.dataset import NOW, seed


@pytest.fixture
def app(db, policy, monkeypatch):
    seed(db, policy)
    services = Services(
        settings=Settings(_env_file=None, database_url=db.url), db=db, policy=policy, clock=lambda: NOW
    )
    monkeypatch.setattr(cli, "load_services", lambda: services)
    app = typer.Typer()
    cli.register(app, typer.Typer())
    app.command("noop")(lambda: None)  # two commands, so typer keeps the command name
    return app


def test_table_and_chart(app, tmp_path):
    chart = tmp_path / "report.png"
    result = CliRunner().invoke(app, ["report", "--period", "7d", "--chart", str(chart)], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "Per-tier support report, last 7 days" in result.output
    assert "5h 20m" in result.output and "Chart written to" in result.output
    data = chart.read_bytes()
    assert data[:4] == b"\x89PNG" and len(data) > 5 * 1024


def test_json_and_csv(app):
    out = CliRunner().invoke(app, ["report", "-p", "7d", "--format", "json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    ent = data["tiers"][0]
    assert ent["tier"] == "enterprise" and ent["current"]["tickets"] == 4 and ent["previous"]["tickets"] == 1
    assert ent["current"]["support_cost_per_account"] == "166.25"
    assert len(data["weeks"]["enterprise"]) == 12
    out = CliRunner().invoke(app, ["report", "-p", "7d", "--format", "csv"])
    rows = list(csv.DictReader(io.StringIO(out.output)))
    assert [r["tier"] for r in rows] == ["enterprise", "professional", "starter"]
    assert rows[0]["current_mttr_minutes"] == "320.0" and rows[0]["previous_sev2"] == "1"


def test_markdown_and_bad_period(app):
    out = CliRunner().invoke(app, ["report", "--format", "md", "-p", "quarter"])
    assert out.exit_code == 0 and out.output.startswith("# Per-tier support report, last quarter")
    bad = CliRunner().invoke(app, ["report", "-p", "2y"])
    assert bad.exit_code == 1
