"""Scenario and sweep results as JSON-ready dicts (`--format json`); the README documents the schema.

Numbers stay numbers (ACV and costs in currency units, times in minutes, shares in 0-1). JSON has no
infinity: an unbounded D (the lowest tier overloaded) is null with `differentiation_unbounded: true`.
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

from bot.policy.model import SEVERITIES
from bot.scenarios.results import (
    CANDIDATES,
    CURRENT,
    BacktestResult,
    Measures,
    ScenarioResult,
    SweepResult,
    TierFigures,
)
from bot.scenarios.variant import Variant

SCHEMA_VERSION = 1


def _number(value: Decimal | float | None) -> float | int | None:
    if value is None:
        return None
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return None if math.isinf(value) or math.isnan(value) else value


def figures(f: TierFigures) -> dict[str, Any]:
    return {
        "accounts": f.accounts,
        "acv": f.acv,
        "tickets": f.tickets,
        "severity_mix": dict(zip(SEVERITIES, f.severity_counts, strict=True)),
        "cost": round(f.cost, 2),
        "median_first_response_minutes": f.median_first_response_minutes,
        "median_resolution_minutes": f.median_resolution_minutes,
        "attainment": f.attainment,
        "utilisation": f.utilisation,
        "wait_minutes": f.wait_minutes,
        "overloaded": f.overloaded,
    }


def measures(m: Measures) -> dict[str, Any]:
    d = m.differentiation
    return {
        "differentiation": _number(d),
        "differentiation_unbounded": d is not None and math.isinf(d),
        "fairness": m.fairness,
        "inversion_rate": m.inversion_rate,
        "inversion_pairs": m.inversion_pairs,
        "critical_in_lowest": m.critical_in_lowest,
        "cost": round(m.cost, 2),
        "attainment": m.attainment,
    }


def variant(v: Variant) -> dict[str, Any]:
    return {
        "command": v.describe(),
        "thresholds": {k: _number(x) for k, x in v.thresholds},
        "strategic_lift": v.strategic_lift,
        "critical_floor": v.critical_floor,
        "days": v.days,
    }


def scenario_json(r: ScenarioResult) -> dict[str, Any]:
    return {
        "kind": "scenario",
        "schema_version": SCHEMA_VERSION,
        "as_of": r.now.isoformat(),
        "variant": variant(r.variant),
        "days": r.days,
        "accounts": r.accounts,
        "tickets": r.tickets,
        "thresholds": {
            "today": {k: _number(x) for k, x in r.thresholds_today},
            "variant": {k: _number(x) for k, x in r.thresholds_variant},
        },
        "tiers": [
            {"key": t.key, "name": t.name, "today": figures(t), "variant": figures(v)}
            for t, v in zip(r.today, r.projected, strict=True)
        ],
        "measures": {"today": measures(r.today_measures), "variant": measures(r.measures)},
        "moves": [
            {"from": m.from_tier, "to": m.to_tier, "accounts": m.accounts, "acv": m.acv} for m in r.moves
        ],
        "movers": [
            {"account_id": m.account_id, "name": m.name, "acv": m.acv, "from": m.from_tier, "to": m.to_tier}
            for m in r.movers
        ],
    }


def sweep_json(r: SweepResult) -> dict[str, Any]:
    direction = {1: "up", -1: "down"}.get(r.flip.direction or 0)
    return {
        "kind": "sweep",
        "schema_version": SCHEMA_VERSION,
        "as_of": r.now.isoformat(),
        "tier": r.spec.tier,
        "base": variant(r.spec.base),
        "days": r.days,
        "accounts": r.accounts,
        "tickets": r.tickets,
        "today": {"threshold": _number(r.today_value), "measures": measures(r.today_measures)},
        "rows": [
            {
                "threshold": _number(row.value),
                "gain": _number(row.gain),
                "loss": _number(row.loss),
                "flips": row.flips,
                "measures": measures(row.measures),
            }
            for row in r.rows
        ],
        "flip": {
            "direction": direction,
            "threshold": _number(r.flip.flip),
            "budget": _number(r.spec.budget),
            "over_budget": _number(r.flip.over_budget),
        },
    }


def backtest_json(r: BacktestResult) -> dict[str, Any]:
    """Scores per test, level and model, and every cell they were computed from (minutes; MAPE 0-1)."""
    b = r.backtest
    return {
        "kind": "backtest",
        "schema_version": SCHEMA_VERSION,
        "as_of": r.now.isoformat(),
        "days": r.days,
        "accounts": r.accounts,
        "tickets": r.tickets,
        "min_tickets": b.min_tickets,
        "moved_shares": list(b.moved_shares),
        "current": CURRENT.value,
        "models": [c.value for c in CANDIDATES],
        "windows": [
            {"fit_from": w.fit_from, "hold_from": w.hold_from, "hold_to": w.hold_to} for w in b.windows
        ],
        "scores": [
            {
                "test": s.test.value,
                "level": s.level.value,
                "model": s.model.value,
                "cells": s.cells,
                "mae_minutes": s.mae,
                "median_absolute_error_minutes": s.mdae,
                "mape": s.mape,
                "wins": s.wins,
                "losses": s.losses,
                "no_number": s.no_number,
            }
            for s in b.scores
        ],
        "cells": [
            {
                "test": c.test.value,
                "window": c.window,
                "moved_share": c.moved_share,
                "tier": c.tier,
                "severity": c.severity,
                "fit_tickets": c.fit_tickets,
                "hold_tickets": c.hold_tickets,
                "utilisation_fit": c.utilisation_fit,
                "utilisation_hold": c.utilisation_hold,
                "arrival_scv": c.arrival_scv,
                "handle_scv": c.handle_scv,
                "actual_minutes": c.actual,
                "predictions": {m.value: _number(p) for m, p in zip(CANDIDATES, c.predictions, strict=True)},
            }
            for c in b.cells
        ],
    }
