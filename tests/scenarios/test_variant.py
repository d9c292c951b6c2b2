"""Input validation: every refusal names what is wrong and what to type instead."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bot.policy.model import Policy, load_policy
from bot.scenarios.service import run_scenario
from bot.scenarios.variant import (
    RefusalKind,
    Refused,
    SweepSpec,
    Variant,
    apply,
    parse_sweep,
    parse_variant,
)
from storage.db import Database
from tests.scenarios.example import NOW, POLICY, seed

P = load_policy()


def test_a_full_variant() -> None:
    v = parse_variant(P, "enterprise=30000 Professional=8k strategic-lift=0 critical-floor=Starter days=60")
    assert v == Variant((("enterprise", Decimal(30000)), ("professional", Decimal(8000))), 0, "starter", 60)
    varied = apply(P, v)
    assert [t.min_acv for t in varied.tiers] == [30000, 8000, 0]
    assert varied.rules.strategic_lift == 0 and varied.rules.criticality_floor["critical"] == "starter"
    assert P.tiers[0].min_acv == 25000  # the policy itself is untouched


@pytest.mark.parametrize(
    ("text", "kind", "says"),
    [
        ("enterprise=4000", RefusalKind.ORDER, "enterprise=4000 is not above professional=5000"),
        ("professional=30000", RefusalKind.ORDER, "enterprise=25000 is not above professional=30000"),
        ("platinum=90000", RefusalKind.UNKNOWN_TIER, "'platinum=90000': not a tier or a setting"),
        ("enterprise=lots", RefusalKind.SYNTAX, "not an amount like 30000"),
        ("starter=100", RefusalKind.LOWEST_TIER, "starter is the lowest tier"),
        ("strategic-lift=2", RefusalKind.LIFT, "strategic-lift is 0 or 1"),
        ("critical-floor=Gold", RefusalKind.FLOOR, "critical-floor: unknown tier 'Gold'"),
        ("days=0", RefusalKind.DAYS, "days is a whole number of days from 1"),
        ("days=ninety", RefusalKind.DAYS, "days is a whole number"),
    ],
)
def test_refusals(text: str, kind: RefusalKind, says: str) -> None:
    out = parse_variant(P, text)
    assert isinstance(out, Refused) and out.reason is kind
    assert says in out.message


def test_sweep_parses() -> None:
    spec = parse_sweep(P, "enterprise=15000..50000 step 2500 budget=400k days=30")
    assert isinstance(spec, SweepSpec)
    assert spec.tier == "enterprise" and len(spec.values) == 15 and spec.values[-1] == 50000
    assert spec.budget == 400000 and spec.base.days == 30


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("enterprise=15000..50000 step 500", "71 steps; a sweep has at most 50"),
        ("enterprise=15000..50000", "give a step"),
        ("enterprise=50000..15000 step 100", "not a range like 15000..50000"),
        ("enterprise=1000..30000 step 1000", "crosses a neighbouring threshold"),
        ("step 1000", "give the threshold to vary as a range"),
        ("starter=0..100 step 10", "starter is the lowest tier"),
        ("enterprise=15000..50000 step 2500 budget=much", "budget: 'much' is not an amount"),
    ],
)
def test_sweep_refusals(text: str, says: str) -> None:
    out = parse_sweep(P, text)
    assert isinstance(out, Refused) and says in out.message


def test_days_within_what_the_data_hold(db: Database) -> None:
    seed(db)
    policy: Policy = POLICY
    with db.engine.connect() as conn:
        out = run_scenario(conn, policy, NOW, Variant(days=31))
    assert isinstance(out, Refused) and out.reason is RefusalKind.DAYS
    assert out.message == "days=31: the tickets go back 30 days; use days=30 or fewer."


def test_no_tickets_is_refused(db: Database) -> None:
    with db.engine.connect() as conn:
        out = run_scenario(conn, P, NOW, Variant())
    assert isinstance(out, Refused) and "no tickets" in out.message
