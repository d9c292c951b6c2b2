"""Block Kit for scenario results: a variant against today, and a sweep with its flip point."""

from __future__ import annotations

import math
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from bot.decisions.record import format_short_id
from bot.decisions.scenarios import Target, TargetKind
from bot.policy.model import SEVERITIES
from bot.scenarios.evidence import LABELS, MONEY, SHARES, UNBOUNDED
from bot.scenarios.variant import Refused
from bot.text import truncate
from bot.views import scenario_ids as ids
from bot.views.blocks import (
    Block,
    Message,
    actions,
    bullet_list,
    button,
    context,
    divider,
    fallback,
    header,
    plain_text,
    section,
)
from bot.views.format import duration, escape_mrkdwn, money, user_mention

if TYPE_CHECKING:  # annotations only
    from bot.scenarios.evidence import Figure, Moved, Recheck
    from bot.scenarios.service import Measures, Run, ScenarioResult, SweepResult, TierFigures

View = dict[str, Any]

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


def minutes_text(value: float | None, overloaded: bool = False) -> str:
    """A projected time: the duration, "overloaded" (a tier at or over 100% utilisation), or "—"."""
    if overloaded:
        return "overloaded"
    return "—" if value is None else duration(value)


def share_text(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def ratio_text(value: float | None, digits: int = 2, infinite: str = "∞ (lowest tier overloaded)") -> str:
    if value is None:
        return "—"
    return infinite if math.isinf(value) else f"{value:.{digits}f}"


def plural(n: int, noun: str) -> str:
    return f"{n:,} {noun}" + ("" if n == 1 else "s")


def running_message(accounts: int, sweep: bool) -> Message:
    what = "the sweep" if sweep else "the scenario"
    text = f":hourglass_flowing_sand: Running {what} over {accounts:,} accounts… the result follows here."
    return {"response_type": "ephemeral", "text": fallback(text), "blocks": [section(text)]}


def refusal_message(refused: Refused) -> Message:
    text = f":warning: {escape_mrkdwn(refused.message)}\n{USAGE}"
    plain = escape_mrkdwn(refused.message)
    return {"response_type": "ephemeral", "text": fallback(plain), "blocks": [section(text)]}


def _mix(f: TierFigures) -> str:
    return " ".join(f"{s[-1]}:{n}" for s, n in zip(SEVERITIES, f.severity_counts, strict=True) if n) or "—"


def _tier_fields(t: TierFigures, v: TierFigures) -> list[str]:
    return [
        f"*Accounts*\n{t.accounts:,} → {v.accounts:,}",
        f"*ACV*\n{_cash(t.acv)} → {_cash(v.acv)}",
        f"*Tickets*\n{t.tickets:,} → {v.tickets:,}",
        f"*Severity mix*\n{_mix(t)} → {_mix(v)}",
        f"*Support cost*\n{_cash(t.cost)} → {_cash(v.cost)}",
        f"*Median first response*\n{minutes_text(t.median_first_response_minutes, t.overloaded)} → "
        f"{minutes_text(v.median_first_response_minutes, v.overloaded)}",
        f"*Median resolution*\n{minutes_text(t.median_resolution_minutes, t.overloaded)} → "
        f"{minutes_text(v.median_resolution_minutes, v.overloaded)}",
        f"*SLA attainment*\n{share_text(t.attainment)} → {share_text(v.attainment)}",
        f"*Utilisation*\n{share_text(t.utilisation)} → {share_text(v.utilisation)}",
    ]


def measure_fields(today: Measures, variant: Measures) -> list[str]:
    return [
        f"*D differentiation*\n{ratio_text(today.differentiation)} → {ratio_text(variant.differentiation)}",
        f"*J need fairness*\n{ratio_text(today.fairness, 3)} → {ratio_text(variant.fairness, 3)}",
        f"*Priority inversions*\n{share_text(today.inversion_rate)} → {share_text(variant.inversion_rate)}",
        f"*Critical accounts in the lowest tier*\n{today.critical_in_lowest:,} → {variant.critical_in_lowest:,}",
        f"*Projected cost*\n{_cash(today.cost)} → {_cash(variant.cost)}",
        f"*SLA attainment*\n{share_text(today.attainment)} → {share_text(variant.attainment)}",
    ]


def scenario_message(result: ScenarioResult, run_id: str | None = None) -> Message:
    command = escape_mrkdwn(result.variant.describe())
    moves = [
        f"{m.from_tier} → {m.to_tier}: {plural(m.accounts, 'account')}, {_cash(m.acv)} ACV"
        for m in result.moves
    ]
    movers = [f"{escape_mrkdwn(m.name)} ({_cash(m.acv)}): {m.from_tier} → {m.to_tier}" for m in result.movers]
    summary = (
        f"{plural(result.accounts_moved, 'account')} ({_cash(result.acv_moved)} ACV) would change tier."
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
    if run_id:
        blocks.append(evidence_actions(run_id))
    blocks.append(context(HOW))
    text = f"Scenario {command}: {summary}"
    return {"response_type": "ephemeral", "text": fallback(text), "blocks": blocks}


def _row(value: Decimal, m: Measures, gain: float | None, loss: float | None, mark: str) -> str:
    d = (
        "∞"
        if m.differentiation is not None and math.isinf(m.differentiation)
        else ratio_text(m.differentiation)
    )
    return (
        f"{value:>9,.0f} {d:>6} {ratio_text(m.fairness, 3):>6} {share_text(m.inversion_rate):>5} "
        f"{_cash(m.cost):>11} {share_text(m.attainment):>5} {share_text(gain):>6} {share_text(loss):>6} {mark}"
    ).rstrip()


def sweep_message(result: SweepResult, run_id: str | None = None) -> Message:
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
        *([evidence_actions(run_id)] if run_id else []),
        context(
            "gain = relative change of D against today; loss = relative drop of J plus the change in "
            "inversion rate. The flip point is the first step, moving away from today in the direction "
            "in which D rises, whose loss exceeds its gain."
        ),
    ]
    text = f"Sweep of the {escape_mrkdwn(result.spec.tier)} threshold: " + (
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
        f"D {ratio_text(today.differentiation)} -> {ratio_text(variant.differentiation)}; "
        f"J {ratio_text(today.fairness, 3)} -> {ratio_text(variant.fairness, 3)}; "
        f"priority inversions {share_text(today.inversion_rate)} -> {share_text(variant.inversion_rate)}; "
        f"critical accounts in the lowest tier {today.critical_in_lowest} -> {variant.critical_in_lowest}; "
        f"projected cost {_cash(today.cost)} -> {_cash(variant.cost)}; "
        f"SLA attainment {share_text(today.attainment)} -> {share_text(variant.attainment)}"
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
        f"D {ratio_text(result.today_measures.differentiation)}, J {ratio_text(result.today_measures.fairness, 3)}, "
        f"inversions {share_text(result.today_measures.inversion_rate)}. {ranges}."
    )
    return {"command": command, "evidence": evidence, "ranges": ranges, "tiers": [result.spec.tier]}


def evidence_actions(run_id: str) -> Block:
    """A result's buttons. Both carry the kept run's id (its JSON outgrows a button value's 2,000
    characters, and a modal must open within 3 s of the click: no time to re-run)."""
    return actions(
        [
            button("Log a decision with this scenario", ids.LOG_DECISION, run_id),
            button("Add to a decision…", ids.ADD_TO_DECISION, run_id),
        ],
        ids.EVIDENCE_ACTIONS,
    )


# -- "Add to a decision…" -----------------------------------------------------------------------------


def _modal(blocks: list[Block], *, submit: str | None = None, metadata: str = "") -> View:
    view: View = {
        "type": "modal",
        "callback_id": ids.ATTACH_MODAL,
        "title": plain_text("Add to a decision"),
        "close": plain_text("Close" if submit is None else "Cancel"),
        "private_metadata": metadata,
        "blocks": blocks,
    }
    if submit is not None:
        view["submit"] = plain_text(submit)
    return view


def target_label(target: Target) -> str:
    what = "Draft" if target.kind is TargetKind.DRAFT else format_short_id(int(target.id))
    return truncate(f"{what}: {target.title}", 75)  # an option's text holds 75 characters


def attach_modal(targets: list[Target], run: Run) -> View:
    """Pick one of the user's open decisions (drafts first) to add the scenario to as evidence."""
    what = f"`{escape_mrkdwn(run.kept.command)}` (data of {run.kept.as_of.date().isoformat()})"
    if not targets:
        text = (
            f"You have no decision open to add {what} to: no draft in progress and no open record you "
            "own. Use *Log a decision with this scenario* to start one."
        )
        return _modal([section(text)])
    options = [{"text": plain_text(target_label(t)), "value": t.value} for t in targets]
    element = {"type": "static_select", "action_id": ids.ATTACH_INPUT, "options": options}
    blocks: list[Block] = [
        section(
            f"Attach {what} as evidence: its inputs and numbers are kept with the decision, quoted "
            "in its evidence, and re-run on current data when it is reviewed."
        ),
        {"type": "input", "block_id": ids.ATTACH_TARGET, "label": plain_text("Decision"), "element": element},
    ]
    return _modal(blocks, submit="Add", metadata=run.id)


def attached_modal(text: str) -> View:
    return _modal([section(text)])


def expired_text() -> str:
    return "That scenario result is more than a week old and no longer kept: run the scenario again."


# -- a review re-runs the attached scenarios -----------------------------------------------------------


def _figure(key: str, value: Figure) -> str:
    if value is None:
        return "none in range" if key in ("flip", "over_budget") else "—"
    if isinstance(value, str):
        return "∞" if value == UNBOUNDED else escape_mrkdwn(value)
    if key in SHARES:
        return share_text(float(value))
    if key in MONEY:
        return _cash(float(value))
    return ratio_text(float(value), 3 if key == "fairness" else 2) if key != "movers" else f"{int(value):,}"


def _change(m: Moved) -> str:
    delta = m.delta
    if not m.changed:
        return "no change"
    if delta is None:
        return "changed"
    if m.key in SHARES:
        return f"{delta * 100:+.1f} pts"
    if m.key in MONEY:
        return ("+" if delta >= 0 else "−") + _cash(abs(delta))
    if m.key == "movers":
        return f"{delta:+,.0f}"
    return f"{delta:+.3f}" if m.key == "fairness" else f"{delta:+.2f}"


def moved_line(m: Moved) -> str:
    line = f"{LABELS[m.key]}: {_figure(m.key, m.then)} → {_figure(m.key, m.now)} ({_change(m)})"
    return f"*{line}*" if m.changed else line


def review_scenario_blocks(commands: list[str], rechecks: list[Recheck] | None) -> list[Block]:
    """What moved since each attached scenario was run: None while the re-runs are in progress."""
    if not commands:
        return []
    if rechecks is None:
        n = len(commands)
        text = (
            f":hourglass_flowing_sand: Re-running the {plural(n, 'attached scenario')} on today's data… "
            "what moved since appears here in a few seconds."
        )
        return [section(text, ids.REVIEW_SCENARIOS)]
    blocks: list[Block] = []
    for i, r in enumerate(rechecks[:10]):
        head = (
            f"*{'Sweep' if r.kind == 'sweep' else 'Scenario'}* `{escape_mrkdwn(r.command)}`: "
            f"{r.then_as_of.date().isoformat()} → {r.now_as_of.date().isoformat()}"
        )
        if r.refused is not None:
            body = f":warning: Could not re-run it on today's data: {escape_mrkdwn(r.refused)}"
        else:
            body = bullet_list([moved_line(m) for m in r.moved])
        blocks.append(section(f"{head}\n{body}", f"{ids.REVIEW_SCENARIOS}_{i}"))
    return blocks
