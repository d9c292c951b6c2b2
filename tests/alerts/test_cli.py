"""`tierbot ticket show ID` lists a ticket's alert history and acknowledgements."""

from __future__ import annotations

from datetime import UTC, datetime

from typer.testing import CliRunner

from bot.alerts import service
from bot.cli import app
from bot.policy.model import Policy
from storage.db import Database
from tests.alerts.helpers import account, tick, ticket

runner = CliRunner()


def test_ticket_show_lists_steps_skips_and_acks(
    db: Database, policy: Policy, cli_env: dict[str, str]
) -> None:
    acme = account(db, policy)
    ticket(db, "T-9", acme, datetime(2026, 11, 23, 10, tzinfo=UTC))
    tick(db, policy, datetime(2026, 11, 23, 10, 40, tzinfo=UTC))  # -15m superseded by 0, posted late
    with db.session() as session:
        service.acknowledge(
            session, "T-9", "first_response", "UANA", datetime(2026, 11, 23, 10, 41, tzinfo=UTC)
        )
    result = runner.invoke(app, ["ticket", "show", "T-9"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "superseded" in result.output and "late" in result.output
    assert "first_response: acknowledged by UANA at 2026-11-23T10:41+00:00" in result.output
    missing = runner.invoke(app, ["ticket", "show", "NOPE"])
    assert missing.exit_code == 1
