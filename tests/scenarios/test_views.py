"""Block Kit of results, validated with slack_sdk's models; an overloaded tier in views and JSON."""

from __future__ import annotations

import json
from decimal import Decimal

from bot.policy.model import Policy, Staffing
from bot.scenarios.evidence import sweep_command
from bot.scenarios.schema import scenario_json
from bot.scenarios.service import ScenarioResult, SweepResult, run_scenario, run_sweep
from bot.scenarios.variant import SweepSpec, Variant, parse_sweep
from bot.views import scenario_ids
from bot.views.scenario import scenario_message, sweep_evidence, sweep_message
from storage.db import Database
from tests.fake_slack import validate_message
from tests.scenarios.example import NOW, POLICY, seed


def thin_staffing(hours: float) -> Policy:
    """The example policy with Basic staffed fewer hours (56 h a week: 0.75 today, overloaded at 6
    tickets) and Premium unstaffed (its times stay as observed)."""
    premium, basic = POLICY.tiers
    tiers = (
        premium.model_copy(update={"staffing": None}),
        basic.model_copy(update={"staffing": Staffing(agents=1, hours_per_week=hours)}),
    )
    return POLICY.model_copy(update={"tiers": tiers})


def test_an_overloaded_tier(db: Database) -> None:
    seed(db)
    with db.engine.connect() as conn:
        result = run_scenario(conn, thin_staffing(56), NOW, Variant((("premium", Decimal(15000)),), days=7))
    assert isinstance(result, ScenarioResult)
    _, basic = result.projected
    assert basic.overloaded and basic.median_first_response_minutes is None and basic.wait_minutes is None
    assert basic.utilisation is not None and basic.utilisation > 1
    assert basic.attainment == 0.0  # every target missed: the queue grows without bound
    assert result.measures.differentiation == float("inf")
    data = scenario_json(result)
    assert data["measures"]["variant"]["differentiation"] is None
    assert data["measures"]["variant"]["differentiation_unbounded"] is True
    json.dumps(data, allow_nan=False)  # no NaN or Infinity leaks into the JSON
    message = scenario_message(result)
    validate_message(message)
    blob = json.dumps(message["blocks"], ensure_ascii=False)
    assert "overloaded" in blob and "∞ (lowest tier overloaded)" in blob


def test_fifty_step_sweep_fits_in_blocks(db: Database) -> None:
    seed(db)
    spec = parse_sweep(POLICY, "premium=1000..50000 step 1000 days=7")
    assert isinstance(spec, SweepSpec) and len(spec.values) == 50
    with db.engine.connect() as conn:
        result = run_sweep(conn, POLICY, NOW, spec)
    assert isinstance(result, SweepResult)
    message = sweep_message(result, "r" * 24)
    validate_message(message)
    rows = "".join(
        b["text"]["text"]
        for b in message["blocks"]
        if b.get("block_id", "").startswith("scenario_sweep_rows")
    )
    assert rows.count("```") % 2 == 0 and all(f"{v:,}" in rows for v in (1000, 25000, 50000))
    buttons = [e for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert [(b["action_id"], b["value"]) for b in buttons] == [
        (scenario_ids.LOG_DECISION, "r" * 24),
        (scenario_ids.ADD_TO_DECISION, "r" * 24),
    ]
    assert sweep_evidence(result)["tiers"] == ["premium"]
    # The kept command asks for the same sweep again (a review re-runs it).
    again = parse_sweep(POLICY, sweep_command(spec))
    assert isinstance(again, SweepSpec) and (again.values, again.tier, again.base) == (
        spec.values,
        "premium",
        spec.base,
    )
    budgeted = parse_sweep(POLICY, "premium=12000..13000 step 5000 budget=400k days=7")
    assert isinstance(budgeted, SweepSpec) and len(budgeted.values) == 1
    assert parse_sweep(POLICY, sweep_command(budgeted)) == budgeted


def test_a_result_without_a_kept_run_has_no_buttons(db: Database) -> None:
    seed(db)
    with db.engine.connect() as conn:
        result = run_scenario(conn, POLICY, NOW, Variant((("premium", Decimal(15000)),), days=7))
    assert isinstance(result, ScenarioResult)
    assert not [b for b in scenario_message(result)["blocks"] if b["type"] == "actions"]
