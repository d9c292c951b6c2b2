"""Block Kit for scenario results: a variant against today, and a sweep with its flip point."""

from __future__ import annotations

import json
import math
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from bot.policy.model import SEVERITIES
from bot.scenarios.variant import Refused
from bot.views import scenario_ids as ids
from bot.views.blocks import (
    Message,
    actions,
    bullet_list,
    button,
    context,
    divider,
    fallback,
    header,
    section,
)
from bot.views.format import duration, escape_mrkdwn, money, user_mention

if TYPE_CHECKING:  # annotations only: the results' modules load numpy
    from bot.scenarios.projection import Measures, TierFigures
    from bot.scenarios.service import ScenarioResult, SweepResult

USAGE = (
    "`/tier scenario enterprise=30000 professional=8000 [strategic-lift=0|1] [critical-floor=TIER] [days=90]`\n"
    "`/tier scenario sweep enterprise=15000..50000 step 2500 [budget=400000]`"
)
HOW = (
    "Projection: each tier's queue is an Erlang C model with its staffing; arrivals and handle time "
    "come from the tickets of the accounts that would be in it. Nothing was changed. "
    "`tierbot scenario … --format json` gives every figure."
)


def _cash(value: float | Decimal) -> str:
    return money(Decimal(round(value)))


def _minutes(value: float | None, overloaded: bool) -> str:
    if overloaded:
        return "overloaded"
    return "—" if value is None else duration(value)


def _share(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def _ratio(value: float | None, digits: int = 2) -> str:
    if value is None:
        return "—"
    return "∞ (lowest tier overloaded)" if math.isinf(value) else f"{value:.{digits}f}"


def _plural(n: int, noun: str) -> str:
    return f"{n:,} {noun}" + ("" if n == 1 else "s")


def running_message(accounts: int, sweep: bool) -> Message:
    what = "the sweep" if sweep else "the scenario"
    text = f":hourglass_flowing_sand: Running {what} over {accounts:,} accounts… the result follows here."
    return {"response_type": "ephemeral", "text": fallback(text), "blocks": [section(text)]}


def refusal_message(refused: Refused) -> Message:
    text = f":warning: {escape_mrkdwn(refused.message)}\n{USAGE}"
    return {"response_type": "ephemeral", "text": fallback(refused.message), "blocks": [section(text)]}


def _mix(f: TierFigures) -> str:
    return " ".join(f"{s[-1]}:{n}" for s, n in zip(SEVERITIES, f.severity_counts, strict=True) if n) or "—"


def _tier_fields(t: TierFigures, v: TierFigures) -> list[str]:
    return [
        f"*Accounts*\n{t.accounts:,} → {v.accounts:,}",
        f"*ACV*\n{_cash(t.acv)} → {_cash(v.acv)}",
        f"*Tickets*\n{t.tickets:,} → {v.tickets:,}",
        f"*Severity mix*\n{_mix(t)} → {_mix(v)}",
        f"*Support cost*\n{_cash(t.cost)} → {_cash(v.cost)}",
        f"*Median first response*\n{_minutes(t.median_first_response_minutes, t.overloaded)} → "
        f"{_minutes(v.median_first_response_minutes, v.overloaded)}",
        f"*Median resolution*\n{_minutes(t.median_resolution_minutes, t.overloaded)} → "
        f"{_minutes(v.median_resolution_minutes, v.overloaded)}",
        f"*SLA attainment*\n{_share(t.attainment)} → {_share(v.attainment)}",
        f"*Utilisation*\n{_share(t.utilisation)} → {_share(v.utilisation)}",
    ]


def measure_fields(today: Measures, variant: Measures) -> list[str]:
    return [
        f"*D differentiation*\n{_ratio(today.differentiation)} → {_ratio(variant.differentiation)}",
        f"*J need fairness*\n{_ratio(today.fairness, 3)} → {_ratio(variant.fairness, 3)}",
        f"*Priority inversions*\n{_share(today.inversion_rate)} → {_share(variant.inversion_rate)}",
        f"*Critical accounts in the lowest tier*\n{today.critical_in_lowest:,} → {variant.critical_in_lowest:,}",
        f"*Projected cost*\n{_cash(today.cost)} → {_cash(variant.cost)}",
        f"*SLA attainment*\n{_share(today.attainment)} → {_share(variant.attainment)}",
    ]


def scenario_message(result: ScenarioResult) -> Message:
    command = escape_mrkdwn(result.variant.describe())
    moves = [
        f"{m.from_tier} → {m.to_tier}: {_plural(m.accounts, 'account')}, {_cash(m.acv)} ACV"
        for m in result.moves
    ]
    movers = [f"{escape_mrkdwn(m.name)} ({_cash(m.acv)}): {m.from_tier} → {m.to_tier}" for m in result.movers]
    summary = (
        f"{_plural(result.accounts_moved, 'account')} ({_cash(result.acv_moved)} ACV) would change tier."
        if result.moves
        else "No account would change tier."
    )
    blocks = [
        header(f"Scenario: {result.variant.describe()}"),
        section(
            f"Over {result.accounts:,} accounts and {result.tickets:,} tickets of the last {result.days} days. "
            f"*{summary}*\n" + bullet_list(moves),
            block_id=ids.MOVES,
        ),
    ]
    if movers:
        blocks.append(section("*Largest movers*\n" + bullet_list(movers)))
    blocks.append(divider())
    for t, v in zip(result.today, result.projected, strict=True):
        blocks.append(
            section(
                f"*{escape_mrkdwn(t.name)}*: today → variant", ids.TIER_PREFIX + t.key, _tier_fields(t, v)
            )
        )
    blocks.append(divider())
    blocks.append(
        section(
            "*Measures*: today → variant",
            ids.MEASURES,
            measure_fields(result.today_measures, result.measures),
        )
    )
    blocks.append(actions([log_decision_button(scenario_evidence(result))]))
    blocks.append(context(HOW))
    text = f"Scenario {command}: {summary}"
    return {"response_type": "ephemeral", "text": fallback(text), "blocks": blocks}


def _row(value: Decimal, m: Measures, gain: float | None, loss: float | None, mark: str) -> str:
    d = "∞" if m.differentiation is not None and math.isinf(m.differentiation) else _ratio(m.differentiation)
    return (
        f"{value:>9,.0f} {d:>6} {_ratio(m.fairness, 3):>6} {_share(m.inversion_rate):>5} "
        f"{_cash(m.cost):>11} {_share(m.attainment):>5} {_share(gain):>6} {_share(loss):>6} {mark}"
    ).rstrip()


def sweep_message(result: SweepResult) -> Message:
    flip = result.flip
    lines = [f"{'threshold':>9} {'D':>6} {'J':>6} {'inv':>5} {'cost':>11} {'SLA':>5} {'gain':>6} {'loss':>6}"]
    for r in result.rows:
        mark = "FLIP" if r.value == flip.flip else ("today" if r.value == result.today_value else "")
        lines.append(_row(r.value, r.measures, r.gain, r.loss, mark))
    # A section holds 3,000 characters: 50 steps of ~70 characters go in as many code blocks as needed.
    tables: list[list[str]] = [[]]
    for line in lines:
        if sum(len(x) + 1 for x in tables[-1]) + len(line) > 2900:
            tables.append([])
        tables[-1].append(line)
    flip_text = (
        f"*Flip point:* {_cash(flip.flip)}" if flip.flip is not None else "*Flip point:* no flip in range"
    )
    if flip.direction is None:
        flip_text += " (D does not rise in either direction)"
    if result.spec.budget is not None:
        flip_text += (
            f"\n*Over the budget of {_cash(result.spec.budget)}* from {_cash(flip.over_budget)}"
            if flip.over_budget is not None
            else f"\nWithin the budget of {_cash(result.spec.budget)} across the range"
        )
    blocks = [
        header(f"Sweep: {result.spec.tier} threshold"),
        section(
            f"{len(result.rows)} steps over {result.accounts:,} accounts and {result.tickets:,} tickets of the "
            f"last {result.days} days; today's threshold is {_cash(result.today_value)}.",
        ),
        *(section("```" + "\n".join(t) + "```", f"{ids.SWEEP_ROWS}_{i}") for i, t in enumerate(tables)),
        section(flip_text, ids.FLIP),
        actions([log_decision_button(sweep_evidence(result))]),
        context(
            "gain = relative change of D against today; loss = relative drop of J plus the change in "
            "inversion rate. The flip point is the first step, moving away from today in the direction "
            "in which D rises, whose loss exceeds its gain."
        ),
    ]
    text = f"Sweep of the {result.spec.tier} threshold: " + (
        f"flip point {_cash(flip.flip)}" if flip.flip is not None else "no flip in range"
    )
    return {"response_type": "ephemeral", "text": fallback(text), "blocks": blocks}


def chart_title(result: SweepResult) -> str:
    return f"Sweep of the {result.spec.tier} threshold"


def chart_comment(user_id: str, result: SweepResult) -> str:
    flip = _cash(result.flip.flip) if result.flip.flip is not None else "no flip in range"
    who = f"{user_mention(user_id)}'s sweep" if user_id else "Sweep"
    return f"{who} of the {result.spec.tier} threshold: flip point {flip}"


def chart_failed_message() -> Message:
    text = "The chart could not be uploaded to this channel (is tierbot a member?); the table above has every step."
    return {"response_type": "ephemeral", "text": text, "blocks": [section(text)]}


# -- evidence for a decision record (plain text: it is stored in the record, not shown as mrkdwn) -----


def _plain_measures(today: Measures, variant: Measures) -> str:
    return (
        f"D {_ratio(today.differentiation)} -> {_ratio(variant.differentiation)}; "
        f"J {_ratio(today.fairness, 3)} -> {_ratio(variant.fairness, 3)}; "
        f"priority inversions {_share(today.inversion_rate)} -> {_share(variant.inversion_rate)}; "
        f"critical accounts in the lowest tier {today.critical_in_lowest} -> {variant.critical_in_lowest}; "
        f"projected cost {_cash(today.cost)} -> {_cash(variant.cost)}; "
        f"SLA attainment {_share(today.attainment)} -> {_share(variant.attainment)}"
    )


def scenario_evidence(result: ScenarioResult) -> dict[str, Any]:
    """What a decision keeps of a scenario: its inputs and the numbers it was decided on."""
    moved = [f"{m.from_tier}->{m.to_tier} {m.accounts} ({_cash(m.acv)})" for m in result.moves]
    evidence = (
        f"Scenario `{result.variant.describe()}` (tierbot, {result.now.date().isoformat()}): "
        f"{result.accounts:,} accounts, {result.tickets:,} tickets of the last {result.days} days. "
        f"Moves: {', '.join(moved) or 'none'}. "
        + _plain_measures(result.today_measures, result.measures)
        + "."
    )
    tiers = sorted({m.from_tier for m in result.moves} | {m.to_tier for m in result.moves})
    return {"command": result.variant.describe(), "evidence": evidence, "ranges": "", "tiers": tiers}


def sweep_evidence(result: SweepResult) -> dict[str, Any]:
    flip = result.flip
    first, last = result.rows[0], result.rows[-1]
    command = (
        f"sweep {result.spec.tier}={first.value.normalize():f}..{last.value.normalize():f} "
        f"({len(result.rows)} steps) days={result.days}"
    )
    ranges = f"{result.spec.tier} threshold {_cash(first.value)}-{_cash(last.value)}: flip point " + (
        _cash(flip.flip) if flip.flip is not None else "none in range"
    )
    if result.spec.budget is not None:
        over = _cash(flip.over_budget) if flip.over_budget is not None else "never in range"
        ranges += f"; over the budget of {_cash(result.spec.budget)} from {over}"
    evidence = (
        f"Sweep `{command}` (tierbot, {result.now.date().isoformat()}): today {_cash(result.today_value)}: "
        f"D {_ratio(result.today_measures.differentiation)}, J {_ratio(result.today_measures.fairness, 3)}, "
        f"inversions {_share(result.today_measures.inversion_rate)}. {ranges}."
    )
    return {"command": command, "evidence": evidence, "ranges": ranges, "tiers": [result.spec.tier]}


def log_decision_button(evidence: dict[str, Any]) -> dict[str, Any]:
    # The numbers travel in the button (a modal must open within 3 s of the click: no time to re-run).
    return button(
        "Log a decision with this scenario", ids.LOG_DECISION, json.dumps(evidence, separators=(",", ":"))
    )
