"""Scenarios as evidence: a result kept as data (its re-runnable command, the `--format json` document),
the key figures a review compares, and what moved between the numbers a decision was made on and a
re-run on current data.

Works on the JSON documents of `bot.scenarios.schema` (not on the result objects), so a figure read from
a record stored months ago and one from a run a second ago are computed the same way. No numpy here:
the handlers import this with the web worker.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.scenarios.variant import SweepSpec

SCENARIO = "scenario"
SWEEP = "sweep"
UNBOUNDED = "unbounded"  # D when the lowest tier is overloaded (JSON has no infinity)

# The figures a review compares, in the order it shows them.
MEASURES = ("differentiation", "fairness", "inversion_rate", "cost", "attainment")
SCENARIO_FIGURES = (*MEASURES, "movers")
SWEEP_FIGURES = ("flip", "over_budget", *MEASURES)
LABELS = {
    "differentiation": "D differentiation",
    "fairness": "J need fairness",
    "inversion_rate": "Priority inversions",
    "cost": "Projected cost",
    "attainment": "SLA attainment",
    "movers": "Accounts changing tier",
    "flip": "Flip point",
    "over_budget": "Over budget from",
}
SHARES = frozenset({"inversion_rate", "attainment"})
MONEY = frozenset({"cost", "flip", "over_budget"})

Figure = float | int | str | None
Figures = dict[str, Figure]


@dataclass(frozen=True)
class Kept:
    """A result as data: what to re-run, the document, its key figures and plain-text lines."""

    kind: str
    command: str
    as_of: datetime
    inputs: dict[str, Any]
    results: dict[str, Any]
    figures: Figures
    lines: tuple[str, ...]


@dataclass(frozen=True)
class Moved:
    """One key figure: then (as attached) and now (re-run on current data)."""

    key: str
    then: Figure
    now: Figure

    @property
    def changed(self) -> bool:
        return self.then != self.now

    @property
    def delta(self) -> float | None:
        """now - then when both are numbers (None otherwise: unknown, unbounded, no flip)."""
        if isinstance(self.then, int | float) and isinstance(self.now, int | float):
            return float(self.now) - float(self.then)
        return None


@dataclass(frozen=True)
class Recheck:
    """An attached scenario re-run for a review: what moved, or why it could not be re-run."""

    kind: str
    command: str
    then_as_of: datetime
    now_as_of: datetime
    moved: tuple[Moved, ...] = ()
    refused: str | None = None  # e.g. the policy no longer has the tier it varied

    @property
    def changes(self) -> int:
        return sum(1 for m in self.moved if m.changed)


def _amount(value: Decimal) -> str:
    return f"{value.normalize():f}"


def sweep_command(spec: SweepSpec) -> str:
    """The sweep as the arguments that ask for it again (`premium=3000..21000 step 1000 days=7`)."""
    values = spec.values
    low = values[0]
    step = values[1] - values[0] if len(values) > 1 else Decimal(2)
    high = values[-1] if len(values) > 1 else low + 1  # one step: any range narrower than the step
    parts = [f"{spec.tier}={_amount(low)}..{_amount(high)}", f"step {_amount(step)}", spec.base.describe()]
    if spec.budget is not None:
        parts.append(f"budget={_amount(spec.budget)}")
    return " ".join(parts)


def _measure(doc: Mapping[str, Any], key: str) -> Figure:
    if key == "differentiation" and doc.get("differentiation_unbounded"):
        return UNBOUNDED
    value = doc.get(key)
    return value if isinstance(value, int | float | str) else None


def figures_of(kind: str, results: Mapping[str, Any]) -> Figures:
    """A scenario's key figures are the variant's measures and how many accounts change tier; a sweep's
    are its flip point, the first step over the budget and the measures at today's threshold."""
    if kind == SWEEP:
        flip = results.get("flip") or {}
        today = (results.get("today") or {}).get("measures") or {}
        out: Figures = {"flip": flip.get("threshold"), "over_budget": flip.get("over_budget")}
        out.update({k: _measure(today, k) for k in MEASURES})
        return out
    variant = (results.get("measures") or {}).get("variant") or {}
    out = {k: _measure(variant, k) for k in MEASURES}
    out["movers"] = sum(int(m.get("accounts") or 0) for m in results.get("moves") or [])
    return out


def plain(key: str, value: Figure) -> str:
    """A figure in plain text (records and exports are not Slack: no mrkdwn)."""
    if value is None:
        return "none in range" if key in ("flip", "over_budget") else "—"
    if isinstance(value, str):
        return "∞" if value == UNBOUNDED else value
    if key in SHARES:
        return f"{value:.0%}"
    if key in MONEY:
        return f"${value:,.0f}"
    if key == "fairness":
        return f"{value:.3f}"
    if key == "differentiation":
        return f"{value:.2f}"
    return f"{value:,}"


def lines_of(kind: str, command: str, results: Mapping[str, Any]) -> tuple[str, ...]:
    """What a record shows of a scenario: the command, the data it ran on, today → variant per measure
    (a sweep: today's measures), and for a sweep the flip point."""
    as_of = str(results.get("as_of", ""))[:10]
    head = (
        f"{'Sweep' if kind == SWEEP else 'Scenario'} `{command}` on the data of {as_of}: "
        f"{results.get('accounts', 0):,} accounts, {results.get('tickets', 0):,} tickets of the last "
        f"{results.get('days', 0)} days"
    )
    lines = [head]
    if kind == SWEEP:
        flip = results.get("flip") or {}
        today = (results.get("today") or {}).get("measures") or {}
        line = f"Flip point: {plain('flip', flip.get('threshold'))}"
        if flip.get("budget") is not None:
            line += f"; over the budget of {plain('cost', flip['budget'])} from {plain('over_budget', flip.get('over_budget'))}"
        lines.append(line)
        lines.append(
            f"Today (threshold {plain('cost', (results.get('today') or {}).get('threshold'))}): "
            + "; ".join(f"{LABELS[k]} {plain(k, _measure(today, k))}" for k in MEASURES)
        )
        return tuple(lines)
    measures = results.get("measures") or {}
    today, variant = measures.get("today") or {}, measures.get("variant") or {}
    lines += [
        f"{LABELS[k]}: {plain(k, _measure(today, k))} -> {plain(k, _measure(variant, k))}" for k in MEASURES
    ]
    moved = figures_of(kind, results)["movers"]
    lines.append(f"{LABELS['movers']}: {plain('movers', moved)}")
    return tuple(lines)


def keep(kind: str, command: str, inputs: dict[str, Any], results: dict[str, Any], as_of: datetime) -> Kept:
    return Kept(
        kind, command, as_of, inputs, results, figures_of(kind, results), lines_of(kind, command, results)
    )


def compare(kind: str, then: Mapping[str, Figure], now: Mapping[str, Figure]) -> tuple[Moved, ...]:
    keys = SWEEP_FIGURES if kind == SWEEP else SCENARIO_FIGURES
    return tuple(Moved(k, then.get(k), now.get(k)) for k in keys)
