"""Sweeps: one threshold varied in steps, and the flip point where fairness loss overtakes the gain.

For each step: gain = (D - D_today) / D_today; loss = (J_today - J) / J_today + (inversion rate -
inversion rate today). Scanning away from today's threshold in the direction in which D rises (judged
at the nearest step on each side where D differs from today's), the flip point is the first step whose loss exceeds its gain. With a
budget, the first step in the same scan whose projected cost exceeds it is reported too.
"""

from __future__ import annotations

import math
from decimal import Decimal

from bot.scenarios.results import FlipPoint, Measures, SweepRow


def _relative(value: float | None, base: float | None) -> float | None:
    if value is None or base is None or base == 0 or math.isinf(base):
        return None
    if math.isinf(value):
        return math.inf
    return (value - base) / base


def row(value: Decimal, today: Measures, measures: Measures) -> SweepRow:
    gain = _relative(measures.differentiation, today.differentiation)
    loss: float | None = None
    if measures.fairness is not None and today.fairness:
        loss = (today.fairness - measures.fairness) / today.fairness
        if measures.inversion_rate is not None and today.inversion_rate is not None:
            loss += measures.inversion_rate - today.inversion_rate
    return SweepRow(value, measures, gain, loss)


def _rises(rows: list[SweepRow], today_d: float | None) -> float:
    """How much D rises at the first step (nearest today first) where it differs from today's."""
    if today_d is None:
        return -math.inf
    for r in rows:
        d = r.measures.differentiation
        # Float noise (1e-15) is not a change: a step must move D by a millionth of itself.
        if d is not None and abs(d - today_d) > 1e-6 * abs(today_d):
            return d - today_d
    return -math.inf


def flip_point(
    rows: tuple[SweepRow, ...], today_value: Decimal, today: Measures, budget: Decimal | None
) -> FlipPoint:
    above = sorted((r for r in rows if r.value > today_value), key=lambda r: r.value)
    below = sorted((r for r in rows if r.value < today_value), key=lambda r: -r.value)
    up, down = _rises(above, today.differentiation), _rises(below, today.differentiation)
    direction: int | None = None
    if max(up, down) > 0:
        direction = 1 if up >= down else -1
    if direction is None:
        scan = sorted((r for r in rows if r.value != today_value), key=lambda r: abs(r.value - today_value))
    else:
        scan = above if direction == 1 else below
    flip = next((r.value for r in scan if r.flips), None) if direction is not None else None
    over = None
    if budget is not None:
        over = next((r.value for r in scan if Decimal(str(round(r.measures.cost, 2))) > budget), None)
    return FlipPoint(direction, flip, over)
