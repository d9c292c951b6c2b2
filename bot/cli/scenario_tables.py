"""`tierbot scenario …` rendered for the terminal: rich tables, a text chart and notes for a scenario, a
sweep and a backtest. Apart from the command (`scenarios.py`) so that `bench/scenario_backtest.py`
prints a backtest the way the command does.
"""

from __future__ import annotations

from decimal import Decimal

from rich.table import Table

from bot.cli.context import console
from bot.policy.model import SEVERITIES
from bot.scenarios.service import (
    CANDIDATES,
    CURRENT,
    BacktestResult,
    Level,
    Measures,
    ScenarioResult,
    SweepResult,
    TierFigures,
    Trial,
    text_chart,
)
from bot.views.format import money
from bot.views.scenario import minutes_text, plural, ratio_text, share_text


def _ratio(value: float | None, digits: int = 2) -> str:
    return ratio_text(value, digits, infinite="∞")


def _cash(value: float) -> str:
    return money(Decimal(round(value)))


def _mix(f: TierFigures) -> str:
    return " ".join(f"{s[-1]}:{n}" for s, n in zip(SEVERITIES, f.severity_counts, strict=True) if n)


def _tiers_table(result: ScenarioResult) -> Table:
    table = Table(title="Per tier: today → variant")
    for column in ("tier", "accounts", "ACV", "tickets", "severity mix", "cost", "median FRT", "median resolution", "attainment", "utilisation"):  # fmt: skip
        table.add_column(column, justify="left" if column in ("tier", "severity mix") else "right")
    for t, v in zip(result.today, result.projected, strict=True):
        table.add_row(
            t.name,
            f"{t.accounts:,} → {v.accounts:,}",
            f"{_cash(t.acv)} → {_cash(v.acv)}",
            f"{t.tickets:,} → {v.tickets:,}",
            f"{_mix(t)} → {_mix(v)}",
            f"{_cash(t.cost)} → {_cash(v.cost)}",
            f"{minutes_text(t.median_first_response_minutes, t.overloaded)} → {minutes_text(v.median_first_response_minutes, v.overloaded)}",
            f"{minutes_text(t.median_resolution_minutes, t.overloaded)} → {minutes_text(v.median_resolution_minutes, v.overloaded)}",
            f"{share_text(t.attainment)} → {share_text(v.attainment)}",
            f"{share_text(t.utilisation)} → {share_text(v.utilisation)}",
        )
    return table


def _measures_table(today: Measures, variant: Measures, title: str = "Measures") -> Table:
    table = Table(title=title)
    for column in ("measure", "today", "variant"):
        table.add_column(column, justify="left" if column == "measure" else "right")
    table.add_row("D differentiation", _ratio(today.differentiation), _ratio(variant.differentiation))
    table.add_row("J need fairness", _ratio(today.fairness, 3), _ratio(variant.fairness, 3))
    table.add_row(
        "priority-inversion rate", share_text(today.inversion_rate), share_text(variant.inversion_rate)
    )
    table.add_row(
        "critical accounts in the lowest tier", str(today.critical_in_lowest), str(variant.critical_in_lowest)
    )
    table.add_row("projected cost", _cash(today.cost), _cash(variant.cost))
    table.add_row("SLA attainment", share_text(today.attainment), share_text(variant.attainment))
    return table


def print_scenario(result: ScenarioResult) -> None:
    console.print(
        f"Scenario [bold]{result.variant.describe()}[/] over {result.accounts:,} accounts and "
        f"{result.tickets:,} tickets of the last {result.days} days. Nothing was changed."
    )
    console.print(
        f"{plural(result.accounts_moved, 'account')} ({_cash(result.acv_moved)} ACV) would change tier:"
        if result.moves
        else "No account would change tier."
    )
    for m in result.moves:
        console.print(f"  {m.from_tier} → {m.to_tier}: {plural(m.accounts, 'account')}, {_cash(m.acv)} ACV")
    if result.movers:
        table = Table(title="Largest movers")
        for column in ("account", "ACV", "from", "to"):
            table.add_column(column)
        for mover in result.movers:
            table.add_row(mover.name, _cash(mover.acv), mover.from_tier, mover.to_tier)
        console.print(table)
    console.print(_tiers_table(result))
    console.print(_measures_table(result.today_measures, result.measures))


def print_sweep(result: SweepResult) -> None:
    console.print(
        f"Sweep of the [bold]{result.spec.tier}[/] threshold over {result.accounts:,} accounts and "
        f"{result.tickets:,} tickets of the last {result.days} days (today {_cash(float(result.today_value))})."
    )
    table = Table(title="Steps")
    for column in ("threshold", "D", "J", "inversions", "cost", "attainment", "gain", "fairness loss", ""):
        table.add_column(column, justify="right")
    for row in result.rows:
        m = row.measures
        mark = (
            "FLIP" if row.value == result.flip.flip else ("today" if row.value == result.today_value else "")
        )
        table.add_row(
            _cash(float(row.value)), _ratio(m.differentiation), _ratio(m.fairness, 3), share_text(m.inversion_rate),
            _cash(m.cost), share_text(m.attainment), share_text(row.gain), share_text(row.loss), mark,
        )  # fmt: skip
    console.print(table)
    console.print(text_chart(result), markup=False, highlight=False)
    flip = result.flip
    console.print(
        f"Flip point: {_cash(float(flip.flip))}" if flip.flip is not None else "Flip point: no flip in range"
    )
    if result.spec.budget is not None:
        console.print(
            f"Over the budget of {_cash(float(result.spec.budget))} from {_cash(float(flip.over_budget))}"
            if flip.over_budget is not None
            else f"Within the budget of {_cash(float(result.spec.budget))} across the range"
        )


def print_backtest(result: BacktestResult) -> None:
    b = result.backtest
    console.print(
        f"Backtest of the first-response projection over {result.accounts:,} accounts and "
        f"{result.tickets:,} tickets of the last {result.days} days: {len(b.windows)} hold-back "
        f"window{'' if len(b.windows) == 1 else 's'}, cells with at least {b.min_tickets} answered tickets "
        f"in both periods; moved accounts: {', '.join(f'{s:.0%}' for s in b.moved_shares)}."
    )
    for w in b.windows:
        console.print(f"  {w.label}", highlight=False)
    for test in Trial:
        for level in Level:
            scores = [b.score(test, level, m) for m in CANDIDATES]
            cells = scores[0].cells
            table = Table(
                title=f"{test.value}, per {level.value}: {cells} cell{'' if cells == 1 else 's'} scored"
            )
            for column in ("model", "MAE min", "median AE", "MAPE", "won/lost", "no number"):
                table.add_column(column, justify="left" if column == "model" else "right")
            for s in scores:
                table.add_row(
                    s.model.value + ("*" if s.model == CURRENT else ""),
                    "—" if s.mae is None else f"{s.mae:,.1f}",
                    "—" if s.mdae is None else f"{s.mdae:,.1f}",
                    share_text(s.mape) if s.mape is None or s.mape < 10 else f"{s.mape:,.0%}",
                    "—" if s.model == CURRENT else f"{s.wins}/{s.losses}",
                    str(s.no_number),
                )
            console.print(table)
    console.print(
        f"* the current model. MAE: mean absolute error of the held-back median, in minutes (median AE: "
        f"the median error); won/lost: cells where a model's error is lower/higher than {CURRENT.value}'s "
        "by more than a minute. Scored: only cells where every model gives a number (no number: a queue "
        "at or above 100% utilisation). moved-accounts values are semi-synthetic (observed times plus a "
        "simulated change of wait)."
    )
