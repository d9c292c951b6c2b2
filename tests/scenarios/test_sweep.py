"""Sweeps: the flip point on constructed rows and on the example data; the budget; the charts."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bot.scenarios.chart import png_chart, text_chart
from bot.scenarios.results import Measures
from bot.scenarios.service import SweepResult, run_sweep
from bot.scenarios.sweep import flip_point, row
from bot.scenarios.variant import SweepSpec, parse_sweep
from storage.db import Database
from tests.scenarios.example import NOW, POLICY, seed


def m(d: float | None, j: float, inv: float, cost: float = 100.0) -> Measures:
    return Measures(d, j, inv, 10, 0, cost, 0.9)


TODAY = m(2.0, 0.9, 0.5)


def rows(points: dict[int, Measures]) -> tuple:
    return tuple(row(Decimal(v), TODAY, measures) for v, measures in sorted(points.items()))


def test_flip_scans_in_the_direction_d_rises() -> None:
    # D rises as the threshold rises. 30k: gain 0.25, loss 0.1 + 0.05 = 0.15 (no flip);
    # 35k: gain 0.5, loss 0.3 + 0.25 = 0.55 (flip). Below today D falls: never scanned.
    points = {
        15: m(1.5, 0.5, 0.9),
        20: m(1.8, 0.6, 0.8),
        25: TODAY,
        30: m(2.5, 0.81, 0.55, cost=150),
        35: m(3.0, 0.63, 0.75, cost=250),
        40: m(4.0, 0.45, 0.9, cost=300),
    }
    result = flip_point(rows(points), Decimal(25), TODAY, Decimal(200))
    assert result.direction == 1
    assert result.flip == Decimal(35)
    assert result.over_budget == Decimal(35)


def test_flip_downwards_and_no_flip() -> None:
    points = {10: m(3.0, 0.88, 0.5), 15: m(2.5, 0.89, 0.5), 20: TODAY, 25: m(1.0, 0.2, 1.0)}
    result = flip_point(rows(points), Decimal(20), TODAY, None)
    assert (result.direction, result.flip, result.over_budget) == (-1, None, None)  # "no flip in range"


def test_row_gain_and_loss() -> None:
    r = row(Decimal(1), TODAY, m(3.0, 0.45, 0.6))
    assert r.gain == pytest.approx(0.5) and r.loss == pytest.approx(0.5 + 0.1) and r.flips


@pytest.fixture
def sweep(db: Database) -> SweepResult:
    seed(db)
    spec = parse_sweep(POLICY, "premium=3000..21000 step 1000 days=7 budget=6000")
    assert isinstance(spec, SweepSpec)
    with db.engine.connect() as conn:
        out = run_sweep(conn, POLICY, NOW, spec)
    assert isinstance(out, SweepResult)
    return out


def test_sweep_on_the_example(sweep: SweepResult) -> None:
    assert len(sweep.rows) == 19 and sweep.today_value == 10000
    at = {int(r.value): r for r in sweep.rows}
    assert at[10000].gain == pytest.approx(0) and at[10000].loss == pytest.approx(0)
    # Above 12,000 A2 moves down: D rises from 1.88 to 3.399 (the pinned variant).
    assert at[13000].measures.differentiation == pytest.approx((808 / 200 + 1048 / 380) / 2)
    assert sweep.flip.direction == 1
    # D gains 81% at 13,000 while fairness loses less: no flip in range on this data.
    assert at[13000].gain == pytest.approx(((808 / 200 + 1048 / 380) / 2) / 1.88 - 1)
    assert at[13000].loss is not None and at[13000].loss < at[13000].gain
    assert sweep.flip.flip is None
    # Premium empty (threshold above every ACV): no top-tier median, so no D.
    assert at[21000].measures.differentiation is None
    # At or below 5,000 A3 moves up and the cost rises above the 6,300 of today; the budget is 6,000.
    assert at[5000].measures.cost == pytest.approx(6300 + 2 * 10.5 * 50)
    # Scanning upwards, the first step already costs 6,300 > 6,000.
    assert sweep.flip.over_budget == 11000


def test_charts(sweep: SweepResult) -> None:
    chart = text_chart(sweep)
    assert "today" in chart and len(chart.splitlines()) == 20
    png = png_chart(sweep)
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and png[12:16] == b"IHDR"
    assert 5_000 < len(png) < 500_000
