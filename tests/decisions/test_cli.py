"""`tierbot decisions list|export` against a real database, through typer's runner."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from bot.cli import decisions as decisions_cli
from bot.config import get_settings
from bot.decisions.lifecycle import reverse
from bot.decisions.store import create_decision
from bot.services import Services
from storage.db import Database
from tests.decisions.factory import NOW, TODAY, valid_input


@pytest.fixture
def cli(db: Database, monkeypatch: pytest.MonkeyPatch) -> Iterator[typer.Typer]:
    monkeypatch.setenv("DATABASE_URL", db.url)
    monkeypatch.delenv("TIER_POLICY_FILE", raising=False)
    get_settings.cache_clear()
    app = typer.Typer()
    decisions_cli.register(app, typer.Typer())
    yield app
    get_settings.cache_clear()


@pytest.fixture
def two(db: Database, services: Services) -> tuple[int, int]:
    with db.session() as session:
        first = create_decision(
            session, valid_input(title="Keep [Starter] on email only [/x]"), actor="U1", now=NOW, today=TODAY
        ).id
        second = create_decision(
            session, valid_input(title="Pilot 24x7 sev1 for Professional"), actor="U1", now=NOW, today=TODAY
        ).id
    with db.session() as session:
        reverse(
            session, services.settings.admin_user_ids, first, actor="UOWNER", reason="Churn risk", now=NOW
        )
    return first, second


def test_export_markdown_to_a_file(cli: typer.Typer, two: tuple[int, int], tmp_path: Path) -> None:
    out = tmp_path / "d.md"
    result = CliRunner().invoke(cli, ["decisions", "export", f"D-{two[1]}", "--output", str(out)])
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert text.startswith(f"# D-{two[1]}: Pilot 24x7 sev1 for Professional\n")
    assert text.index("## Objective") < text.index("## Recommendation") < text.index("## Review triggers")
    assert f"D-{two[1]} written to" in result.output


def test_export_json_to_stdout(cli: typer.Typer, two: tuple[int, int]) -> None:
    result = CliRunner().invoke(cli, ["decisions", "export", f"d{two[0]}", "--format", "json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert (document["id"], document["status"]) == (f"D-{two[0]}", "reversed")
    assert document["history"][-1]["detail"] == {"reason": "Churn risk"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["decisions", "export", "D-999"], "there is no decision D-999"),
        (["decisions", "export", "banana"], "is not a decision id"),
        (["decisions", "export", "D-1", "--format", "pdf"], "--format must be md or json"),
        (["decisions", "list", "--status", "closed"], "--status must be one of open, due, all"),
    ],
)
def test_bad_input_exits_1_with_a_clear_message(
    cli: typer.Typer, two: tuple[int, int], args: list[str], message: str
) -> None:
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1
    assert message in result.output


def test_list_by_status(cli: typer.Typer, two: tuple[int, int]) -> None:
    in_force = CliRunner().invoke(cli, ["decisions", "list"], env={"COLUMNS": "200"})
    assert in_force.exit_code == 0, in_force.output
    assert "Decisions (open): 1" in in_force.output
    assert "Pilot 24x7 sev1 for Professional" in in_force.output
    assert "Keep [Starter]" not in in_force.output
    everything = CliRunner().invoke(cli, ["decisions", "list", "--status", "all"], env={"COLUMNS": "200"})
    assert "Decisions (all): 2" in everything.output and "reversed" in everything.output
    assert "Keep [Starter] on email only [/x]" in everything.output  # user text, not Rich markup
