"""Key figures of a kept result, what moved between two of them, and how a review shows it."""

from __future__ import annotations

from typing import Any

from bot.scenarios.evidence import UNBOUNDED, Moved, compare, figures_of, lines_of, plain
from bot.views.scenario import moved_line


def _scenario(d: float | None, unbounded: bool = False, moved: int = 1) -> dict[str, Any]:
    measures = {
        "differentiation": d,
        "differentiation_unbounded": unbounded,
        "fairness": 0.9,
        "inversion_rate": 0.25,
        "cost": 5250.0,
        "attainment": 0.75,
    }
    return {
        "kind": "scenario",
        "as_of": "2026-11-20T12:00:00+00:00",
        "accounts": 4,
        "tickets": 9,
        "days": 7,
        "measures": {"today": {**measures, "differentiation": 1.5}, "variant": measures},
        "moves": [{"from": "premium", "to": "basic", "accounts": moved, "acv": 12000.0}],
    }


def test_figures_of_a_scenario_are_the_variants_measures_and_the_movers() -> None:
    figures = figures_of("scenario", _scenario(3.4, moved=3))
    assert figures == {
        "differentiation": 3.4,
        "fairness": 0.9,
        "inversion_rate": 0.25,
        "cost": 5250.0,
        "attainment": 0.75,
        "movers": 3,
    }
    assert figures_of("scenario", _scenario(None, unbounded=True))["differentiation"] == UNBOUNDED
    assert lines_of("scenario", "premium=15000 days=7", _scenario(3.4))[1:3] == (
        "D differentiation: 1.50 -> 3.40",
        "J need fairness: 0.900 -> 0.900",
    )


def test_figures_of_a_sweep_are_its_flip_point_and_todays_measures() -> None:
    doc = {
        "kind": "sweep",
        "today": {"threshold": 10000, "measures": _scenario(2.0)["measures"]["variant"]},
        "flip": {"direction": "up", "threshold": None, "budget": 6000, "over_budget": 11000},
    }
    figures = figures_of("sweep", doc)
    assert (figures["flip"], figures["over_budget"], figures["differentiation"]) == (None, 11000, 2.0)
    assert "Flip point: none in range; over the budget of $6,000 from $11,000" in lines_of("sweep", "x", doc)


def test_what_moved_then_to_now() -> None:
    then = figures_of("scenario", _scenario(3.4))
    now = figures_of("scenario", _scenario(None, unbounded=True, moved=2))
    moved = {m.key: m for m in compare("scenario", then, now)}
    assert moved["movers"].delta == 1 and moved["movers"].changed
    assert moved["differentiation"].delta is None and moved["differentiation"].changed
    assert not moved["cost"].changed
    assert moved_line(moved["differentiation"]) == "*D differentiation: 3.40 → ∞ (changed)*"
    assert moved_line(moved["cost"]) == "Projected cost: $5,250 → $5,250 (no change)"
    assert moved_line(Moved("attainment", 0.75, 0.8)) == "*SLA attainment: 75% → 80% (+5.0 pts)*"
    assert moved_line(Moved("cost", 6300.0, 5250.0)) == "*Projected cost: $6,300 → $5,250 (−$1,050)*"
    assert moved_line(Moved("flip", None, 12000)) == "*Flip point: none in range → $12,000 (changed)*"
    assert plain("flip", None) == "none in range" and plain("differentiation", UNBOUNDED) == "∞"
