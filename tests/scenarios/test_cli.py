"""`tierbot scenario …` through typer's CliRunner, on the example data and policy."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from freezegun import freeze_time
from typer.testing import CliRunner

from bot.cli import app
from storage.db import Database
from tests.cli.conftest import cli_env  # noqa: F401  (fixture)
from tests.scenarios import backtest_data
from tests.scenarios.example import NOW, POLICY_FILE, seed

runner = CliRunner()


@pytest.fixture
def env(cli_env: dict[str, str], db: Database, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:  # noqa: F811
    seed(db)
    monkeypatch.setenv("TIER_POLICY_FILE", str(POLICY_FILE))
    with freeze_time(NOW):
        yield


def test_scenario_table(env: None) -> None:
    result = runner.invoke(app, ["scenario", "premium=15000", "days=7"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "1 account ($12,000 ACV) would change tier" in out
    assert "premium → basic: 1 account," in out
    assert "D differentiation" in out and "1.88" in out and "3.40" in out


def test_scenario_json_schema(env: None) -> None:
    result = runner.invoke(app, ["scenario", "premium=15000", "days=7", "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert set(data) == {
        "kind", "schema_version", "as_of", "variant", "days", "accounts", "tickets", "thresholds", "tiers",
        "measures", "moves", "movers",
    }  # fmt: skip
    assert data["variant"] == {
        "command": "premium=15000 days=7", "thresholds": {"premium": 15000}, "strategic_lift": None,
        "critical_floor": None, "days": 7,
    }  # fmt: skip
    assert [t["key"] for t in data["tiers"]] == ["premium", "basic"]
    assert set(data["tiers"][0]["variant"]) == {
        "accounts", "acv", "tickets", "severity_mix", "cost", "median_first_response_minutes",
        "median_resolution_minutes", "attainment", "utilisation", "wait_minutes", "overloaded",
    }  # fmt: skip
    assert data["tiers"][1]["variant"]["median_first_response_minutes"] == pytest.approx(928)
    assert set(data["measures"]["variant"]) == {
        "differentiation", "differentiation_unbounded", "fairness", "inversion_rate", "inversion_pairs",
        "critical_in_lowest", "cost", "attainment",
    }  # fmt: skip
    assert data["measures"]["today"]["differentiation"] == pytest.approx(1.88)
    assert data["moves"] == [{"from": "premium", "to": "basic", "accounts": 1, "acv": 12000.0}]
    assert data["movers"][0]["name"] == "A2"


def test_sweep_json_and_chart(env: None, tmp_path: Path) -> None:
    png = tmp_path / "sweep.png"
    args = ["scenario", "sweep", "premium=3000..21000", "step", "1000", "days=7", "budget=6000"]
    result = runner.invoke(app, [*args, "--format", "json", "--chart", str(png)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert set(data) == {
        "kind", "schema_version", "as_of", "tier", "base", "days", "accounts", "tickets", "today", "rows", "flip",
    }  # fmt: skip
    assert len(data["rows"]) == 19
    assert set(data["rows"][0]) == {"threshold", "gain", "loss", "flips", "measures"}
    assert data["flip"] == {"direction": "up", "threshold": None, "budget": 6000, "over_budget": 11000}
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_sweep_table_draws_the_text_chart(env: None) -> None:
    result = runner.invoke(app, ["scenario", "sweep", "premium=8000..14000", "step", "1000", "days=7"])
    assert result.exit_code == 0, result.output
    assert "Flip point: no flip in range" in result.output
    assert "D (bar)" in result.output and "#" in result.output


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["premium=0"], "premium=0 is not above basic=0"),
        (["days=99"], "the tickets go back 30 days"),
        (["sweep", "premium=1000..90000", "step", "100"], "a sweep has at most 50"),
        (["premium=15000", "--format", "xml"], "--format is table or json"),
    ],
)
def test_refusals_exit_1(env: None, args: list[str], says: str) -> None:
    result = runner.invoke(app, ["scenario", *args])
    assert result.exit_code == 1
    assert says in " ".join(result.output.split())


@pytest.fixture
def backtest_env(cli_env: dict[str, str], db: Database, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:  # noqa: F811
    backtest_data.seed(db)
    monkeypatch.setenv("TIER_POLICY_FILE", str(POLICY_FILE))
    with freeze_time(NOW):
        yield


def test_backtest_table(backtest_env: None) -> None:
    result = runner.invoke(app, ["scenario", "backtest", "--days", "6", "--min-tickets", "4"])
    assert result.exit_code == 0, result.output
    out = result.output
    said = " ".join(out.split())
    assert "over 2 accounts and 16 tickets of the last 6 days: 3 hold-back windows" in said
    assert "fit -6..-2 d, hold -2..0 d" in said
    assert "time-split, per tier: 2 cells scored" in said
    # The first table's rows, by model (rich draws cells between │).
    rows: dict[str, str] = {}
    for line in out.splitlines():
        if line.count("│") > 4:
            rows.setdefault(line.split("│")[1].strip(), line)
    # The hand-worked figures of tests/scenarios/backtest_data.py: MAE 25 naive, 15 additive.
    assert "25.0" in rows["naive"] and "14%" in rows["naive"] and "0/2" in rows["naive"]
    assert "15.0" in rows["additive*"] and "7%" in rows["additive*"]
    assert "167.0" in rows["multiplicative"] and "0/2" in rows["multiplicative"]


def test_backtest_json(backtest_env: None) -> None:
    result = runner.invoke(
        app, ["scenario", "backtest", "--days", "6", "--min-tickets", "4", "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["kind"] == "backtest" and data["current"] == "additive"
    assert data["models"] == [
        "naive",
        "additive",
        "multiplicative",
        "allen-cunneen",
        "median-wait",
        "per-ticket",
    ]
    assert data["windows"][0] == {"fit_from": 6, "hold_from": 2, "hold_to": 0}
    score = next(
        s for s in data["scores"] if (s["test"], s["level"], s["model"]) == ("time-split", "tier", "additive")
    )
    assert score["cells"] == 2 and score["mae_minutes"] == pytest.approx(15)
    cell = next(c for c in data["cells"] if c["test"] == "time-split" and c["tier"] == "premium")
    assert cell["actual_minutes"] == 70 and cell["predictions"]["naive"] == 60


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["backtest", "--days", "90"], "the tickets go back 6 days"),
        (["backtest", "--days", "1"], "at least 2 days"),
        (["backtest", "premium=1"], "takes only --days"),
        (["premium=15000", "--days", "6"], "--days goes with `tierbot scenario backtest`"),
    ],
)
def test_backtest_refusals(backtest_env: None, args: list[str], says: str) -> None:
    result = runner.invoke(app, ["scenario", *args])
    assert result.exit_code == 1
    assert says in " ".join(result.output.split())
