"""`tierbot tier ...` in the terminal: the same lookup as Slack, overrides and history."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from typer.testing import CliRunner

from bot.cli import app
from bot.policy.model import Policy
from storage.db import Database
from storage.models import TierOverride
from tests.conftest import add_account

runner = CliRunner()


def test_tier_query_prints_the_card(cli_env: dict[str, str], db: Database, policy: Policy) -> None:
    add_account(db, policy, "Acme Corp", 32000, external_id="ACME-001")
    result = runner.invoke(app, ["tier", "acme", "corp"])
    assert result.exit_code == 0, result.output
    assert "Acme Corp · Enterprise" in result.output
    assert "ACV $32,000 ≥ $25,000 → Enterprise" in result.output
    assert "Named Technical Account Manager" in result.output


def test_tier_unknown_account(cli_env: dict[str, str], db: Database) -> None:
    result = runner.invoke(app, ["tier", "nobody-here"])
    assert result.exit_code == 0
    assert "No account matches nobody-here" in result.output


def test_set_history_and_clear(cli_env: dict[str, str], db: Database, policy: Policy) -> None:
    add_account(db, policy, "Hooli", 2500, external_id="HOOLI-005")
    result = runner.invoke(
        app,
        [
            "tier",
            "set",
            "HOOLI-005",
            "enterprise",
            "--reason",
            "board escalation",
            "--by",
            "ana",
            "--until",
            "2099-01-31",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "Hooli is now Enterprise (override)" in result.output
    with db.session() as session:
        stored = session.scalars(select(TierOverride)).one()
        assert stored.expires_at == datetime(2099, 2, 1, tzinfo=UTC)  # through the 31st, not to its start
    assert (
        "override to Enterprise by ana until 2099-01-31: board escalation"
        in runner.invoke(app, ["tier", "hooli"]).output
    )
    history = runner.invoke(app, ["tier", "history", "HOOLI-005"], env={"COLUMNS": "200"})
    assert history.exit_code == 0, history.output
    assert "starter" in history.output and "enterprise" in history.output and "override" in history.output
    cleared = runner.invoke(app, ["tier", "clear", "HOOLI-005", "--by", "ana"])
    assert "is Starter by the rules" in cleared.output


def test_set_refuses_unknown_tier_with_exit_1(cli_env: dict[str, str], db: Database, policy: Policy) -> None:
    add_account(db, policy, "Hooli", 2500, external_id="HOOLI-005")
    result = runner.invoke(app, ["tier", "set", "HOOLI-005", "platinum", "--reason", "x"])
    assert result.exit_code == 1
    assert "is not a tier" in result.output


def test_bad_policy_file_fails_at_start(
    cli_env: dict[str, str], tmp_path: object, monkeypatch: object
) -> None:
    import pathlib

    import pytest

    assert isinstance(monkeypatch, pytest.MonkeyPatch) and isinstance(tmp_path, pathlib.Path)
    bad = tmp_path / "policy.toml"
    bad.write_text("[[tiers]]\nkey = 'x'\n", encoding="utf-8")
    monkeypatch.setenv("TIER_POLICY_FILE", str(bad))
    from bot.config import get_settings

    get_settings.cache_clear()
    result = runner.invoke(app, ["tier", "acme"])
    assert result.exit_code == 1
    assert "tier policy" in result.output and "policy.toml" in result.output and "tiers.0" in result.output


def test_bad_default_timezone_is_refused_at_start(cli_env: dict[str, str], monkeypatch: object) -> None:
    import pytest

    from bot.config import get_settings

    assert isinstance(monkeypatch, pytest.MonkeyPatch)
    monkeypatch.setenv("DEFAULT_TIMEZONE", "Mars/Olympus")
    get_settings.cache_clear()
    with pytest.raises(ValueError, match="unknown IANA time zone 'Mars/Olympus'"):
        get_settings()
