"""`tierbot import accounts FILE` as a user runs it: summary, tier moves, errors and exit codes."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from sqlalchemy import func, select
from typer.testing import CliRunner

from bot.cli import app
from storage.db import Database
from storage.models import Account, TierChange

runner = CliRunner()
SAMPLE = Path(__file__).parents[2] / "bot" / "sample_data" / "accounts.csv"


def write(tmp_path: Path, text: str, name: str = "accounts.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def count(db: Database, model: type[Account] | type[TierChange]) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_import_prints_a_summary(cli_env: dict[str, str], db: Database) -> None:
    result = runner.invoke(app, ["import", "accounts", str(SAMPLE)])
    assert result.exit_code == 0, result.output
    assert "Imported accounts.csv: 12 new, 0 updated, 0 unchanged." in result.output
    assert "New accounts by tier: Enterprise 5, Professional 5, Starter 2" in result.output
    assert count(db, Account) == 12
    with db.session() as session:
        actors = set(session.scalars(select(TierChange.actor)))
    assert actors == {"import:accounts.csv"}

    again = runner.invoke(app, ["import", "accounts", str(SAMPLE)])
    assert again.exit_code == 0
    assert "0 new, 0 updated, 12 unchanged" in again.output


def test_dry_run_shows_moves_and_writes_nothing(
    cli_env: dict[str, str], db: Database, tmp_path: Path
) -> None:
    runner.invoke(app, ["import", "accounts", str(SAMPLE)])
    changed = SAMPLE.read_text(encoding="utf-8").replace('"$32,000"', "4000")
    result = runner.invoke(
        app, ["import", "accounts", str(write(tmp_path, changed)), "--dry-run"], env={"COLUMNS": "200"}
    )
    assert result.exit_code == 0, result.output
    assert "Dry run of accounts.csv: 0 new, 1 updated, 11 unchanged. Nothing was written." in result.output
    assert "1 account(s) would move tier" in result.output
    row = next(line for line in result.output.splitlines() if "Acme Corp" in line)
    assert "Enterprise" in row and "Starter" in row and "ACV $4,000 < $5,000 → Starter" in row
    with db.session() as session:
        acme = session.scalars(select(Account).where(Account.name == "Acme Corp")).one()
    assert (acme.acv, acme.tier) == (Decimal("32000"), "enterprise")
    assert count(db, TierChange) == 12


def test_actor_option_names_the_history(cli_env: dict[str, str], db: Database, tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["import", "accounts", str(write(tmp_path, "name,acv\nAcme,1\n")), "--actor", "ana"]
    )
    assert result.exit_code == 0, result.output
    with db.session() as session:
        assert list(session.scalars(select(TierChange.actor))) == ["ana"]


def test_bad_rows_exit_1_with_line_numbers(cli_env: dict[str, str], db: Database, tmp_path: Path) -> None:
    path = write(tmp_path, "name,acv\nAcme,1\nGlobex,lots\nHooli,-3\n")
    result = runner.invoke(app, ["import", "accounts", str(path)])
    assert result.exit_code == 1
    assert "2 problem(s) on 2 line(s); nothing was imported." in result.output
    assert "line 3: acv 'lots' is not an amount" in result.output
    assert "line 4: acv '-3' is negative" in result.output
    assert count(db, Account) == 0


def test_error_listing_is_capped(cli_env: dict[str, str], db: Database, tmp_path: Path) -> None:
    body = "name,acv\n" + "".join(f"Co {i},bad\n" for i in range(60))
    result = runner.invoke(app, ["import", "accounts", str(write(tmp_path, body))])
    assert result.exit_code == 1
    assert "line 51: " in result.output and "line 52: " not in result.output
    assert "… and 10 more" in result.output


def test_moves_table_is_capped(cli_env: dict[str, str], db: Database, tmp_path: Path) -> None:
    rows = "".join(f"M-{i},Mover {i},100\n" for i in range(30))
    runner.invoke(app, ["import", "accounts", str(write(tmp_path, "external_id,name,acv\n" + rows))])
    moved = rows.replace(",100\n", ",30000\n")
    result = runner.invoke(
        app, ["import", "accounts", str(write(tmp_path, "external_id,name,acv\n" + moved))]
    )
    assert result.exit_code == 0, result.output
    assert "30 account(s) moved tier" in result.output
    assert "… and 5 more" in result.output


def test_malformed_file_is_a_message_not_a_traceback(
    cli_env: dict[str, str], db: Database, tmp_path: Path
) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes(b"name,acv\nCaf\xe9,1\n")
    result = runner.invoke(app, ["import", "accounts", str(path)])
    assert result.exit_code == 1
    assert "line 2: the file is not UTF-8" in result.output
    assert "Traceback" not in result.output
    assert isinstance(result.exception, SystemExit)


def test_missing_file(cli_env: dict[str, str], db: Database, tmp_path: Path) -> None:
    result = runner.invoke(app, ["import", "accounts", str(tmp_path / "nope.csv")], env={"COLUMNS": "300"})
    assert result.exit_code == 1
    assert "nope.csv: no such file" in result.output


def test_unknown_columns_are_noted(cli_env: dict[str, str], db: Database, tmp_path: Path) -> None:
    path = write(tmp_path, "Name,ACV,Colour\nAcme,1,red\n")
    result = runner.invoke(app, ["import", "accounts", str(path)])
    assert result.exit_code == 0, result.output
    assert "note: ignored unknown column(s): Colour" in result.output


def test_large_file_reports_phases_without_a_bar_when_piped(
    cli_env: dict[str, str], db: Database, tmp_path: Path
) -> None:
    path = write(tmp_path, "name,acv\n" + "".join(f"Small Co {i},{i}\n" for i in range(600)))
    small = runner.invoke(app, ["import", "accounts", str(path), "--dry-run"])
    assert "Reading…" not in small.output
    big = write(
        tmp_path, "name,acv,notes\n" + "".join(f"Big Co {i},{i},{'x' * 60}\n" for i in range(6000)), "big.csv"
    )
    result = runner.invoke(app, ["import", "accounts", str(big)])
    assert result.exit_code == 0, result.output
    assert "Reading…" in result.output and "Writing…" in result.output
    assert "\x1b[" not in result.output  # no bar, no cursor control codes on a pipe
    assert "Imported big.csv: 6,000 new, 0 updated, 0 unchanged." in result.output
