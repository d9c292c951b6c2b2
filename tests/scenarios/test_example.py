"""The README's worked example, pinned: every figure below is computed by hand there."""

from __future__ import annotations

from decimal import Decimal
from statistics import mean

import pytest

from bot.scenarios.service import ScenarioResult, run_scenario
from bot.scenarios.variant import Variant
from storage.db import Database
from tests.scenarios.example import NOW, POLICY, seed


def pair_jain(p1: float, p2: float) -> float:
    # x = T/p, and T cancels within a group: J = (p1 + p2)² / (2 (p1² + p2²))
    return (p1 + p2) ** 2 / (2 * (p1 * p1 + p2 * p2))


@pytest.fixture
def result(db: Database) -> ScenarioResult:
    seed(db)
    with db.engine.connect() as conn:
        out = run_scenario(conn, POLICY, NOW, Variant((("premium", Decimal(15000)),)), days=7)
    assert isinstance(out, ScenarioResult)
    return out


def test_queues_today_and_under_the_variant(result: ScenarioResult) -> None:
    premium, basic = result.today
    assert (premium.utilisation, basic.utilisation) == pytest.approx((0.25, 0.25))
    assert (premium.wait_minutes, basic.wait_minutes) == pytest.approx((210, 210))
    premium, basic = result.projected
    assert (premium.utilisation, basic.utilisation) == pytest.approx((0.125, 0.375))
    assert (premium.wait_minutes, basic.wait_minutes) == pytest.approx((90, 378))


def test_tier_table(result: ScenarioResult) -> None:
    premium, basic = result.today
    assert (premium.accounts, premium.acv, premium.tickets) == (2, 32000, 4)
    assert premium.severity_counts == (2, 2, 0, 0)
    assert premium.cost == pytest.approx(4200) and basic.cost == pytest.approx(2100)
    assert premium.median_first_response_minutes == pytest.approx(370)
    assert basic.median_first_response_minutes == pytest.approx(760)
    assert premium.median_resolution_minutes == pytest.approx(490)
    assert basic.median_resolution_minutes == pytest.approx(880)
    assert premium.attainment == pytest.approx(5 / 8) and basic.attainment == pytest.approx(1.0)

    premium, basic = result.projected
    assert (premium.accounts, premium.acv, premium.tickets) == (1, 20000, 2)
    assert (basic.accounts, basic.acv, basic.tickets) == (3, 19000, 6)
    assert premium.cost == pytest.approx(2100) and basic.cost == pytest.approx(3150)
    assert premium.median_first_response_minutes == pytest.approx(370 - 120)
    assert basic.median_first_response_minutes == pytest.approx(760 + 168)
    assert premium.median_resolution_minutes == pytest.approx(490 - 120)
    assert basic.median_resolution_minutes == pytest.approx(880 + 168)
    assert premium.attainment == pytest.approx(1.0) and basic.attainment == pytest.approx(8 / 12)


def test_measures_today(result: ScenarioResult) -> None:
    m = result.today_measures
    assert m.differentiation == pytest.approx((640 / 320 + 880 / 500) / 2)
    assert m.fairness == pytest.approx(
        mean([pair_jain(300, 560), pair_jain(340, 720), pair_jain(400, 800), pair_jain(600, 960)])
    )
    assert m.inversion_rate == pytest.approx(3 / 4) and m.inversion_pairs == 4
    assert m.critical_in_lowest == 1
    assert m.cost == pytest.approx(6300) and m.attainment == pytest.approx(13 / 16)


def test_measures_under_the_variant(result: ScenarioResult) -> None:
    m = result.measures
    assert m.differentiation == pytest.approx((808 / 200 + 1048 / 380) / 2)
    assert m.fairness == pytest.approx(
        mean([pair_jain(180, 728), pair_jain(508, 888), pair_jain(280, 968), pair_jain(768, 1128)])
    )
    assert m.inversion_rate == pytest.approx(1.0) and m.inversion_pairs == 3
    assert m.critical_in_lowest == 2
    assert m.cost == pytest.approx(5250) and m.attainment == pytest.approx(12 / 16)


def test_movers(result: ScenarioResult) -> None:
    assert [(m.from_tier, m.to_tier, m.accounts, m.acv) for m in result.moves] == [
        ("premium", "basic", 1, 12000)
    ]
    assert [(m.name, m.from_tier, m.to_tier) for m in result.movers] == [("A2", "premium", "basic")]
    assert (result.accounts, result.tickets) == (4, 8)
