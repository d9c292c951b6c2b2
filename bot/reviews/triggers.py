"""Review triggers: measure each trigger's metric, and report a firing once per crossing.

A trigger fires when its metric goes past the threshold (`fired` False -> True) and re-arms, silently,
when the metric is back within it. While the metric stays past the threshold nothing more is reported.
With nothing to measure (no tickets in the window) the trigger neither fires nor re-arms: a quiet week
says nothing about the threshold.

Exactly once, with the ledger: a firing's `period_key` names the crossing by the evaluation that
preceded it (the trigger's `last_evaluated_at` before this run), not by the current time. That value
only changes when an evaluation commits, so if the scheduler evaluates, claims the ledger row, and only
then commits the evaluation, a crash in between makes the next run re-detect the same crossing under
the same key, and the ledger's unique row keeps it from being posted twice.

The caller owns the transaction: `evaluate_triggers` updates the trigger rows in `session` and does
not commit.
"""

from __future__ import annotations

import logging
import operator
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.decisions.record import METRIC_UNITS, format_short_id
from bot.policy.model import Policy
from bot.sla.metrics import measure
from storage.models import Account
from storage.models.decisions import Decision, ReviewTrigger

log = logging.getLogger(__name__)

COMPARE: dict[str, Callable[[float, float], bool]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
}
# How a metric reads in a sentence; times are medians (that is what `measure` returns).
PHRASES = {
    "resolution_time": "median resolution time",
    "first_response_time": "median first response time",
    "sla_attainment": "SLA attainment",
    "support_cost_per_account": "support cost per account",
    "health_score": "average health score",
    "severity_mix_share": "share of sev1 and sev2 tickets",
}
# Health scores are read from accounts as they are now; no window applies.
WINDOWLESS = frozenset({"health_score"})


@dataclass(frozen=True)
class TriggerFiring:
    trigger_id: int
    decision_id: int
    short_id: str  # "D-42"
    title: str
    owner: str  # Slack user id
    source_channel: str | None
    description: str  # "Enterprise median resolution time > 8 h over 30 days"
    value: float
    threshold: float
    comparison: str
    metric: str
    unit: str  # h | % | $ | pts
    window_days: int
    crossed_at: datetime  # the evaluation that saw the crossing
    period_key: str  # the ledger period: one post per crossing (see the module docstring)

    @property
    def value_text(self) -> str:
        return format_value(self.value, self.metric)


def evaluate_triggers(session: Session, policy: Policy, now: datetime) -> list[TriggerFiring]:
    """Measure every trigger of a live decision; the firings of triggers that crossed in this run."""
    rows = session.execute(
        select(ReviewTrigger, Decision)
        .join(Decision, Decision.id == ReviewTrigger.decision_id)
        .where(Decision.in_force.is_(True))
        .order_by(ReviewTrigger.id)
    ).all()
    account_ids = {t.scope_account_id for t, _ in rows if t.scope_account_id is not None}
    names: dict[int, str] = {}
    if account_ids:
        found = session.execute(select(Account.id, Account.name).where(Account.id.in_(account_ids)))
        names = {account_id: name for account_id, name in found}
    # Several decisions often watch the same metric on the same scope: measure it once per run.
    measured: dict[tuple[str, str | None, int | None, int], float | None] = {}
    firings: list[TriggerFiring] = []
    for trigger, decision in rows:
        key = (trigger.metric, trigger.scope_tier, trigger.scope_account_id, trigger.window_days)
        if key not in measured:
            try:
                measured[key] = measure(
                    session,
                    policy,
                    trigger.metric,
                    trigger.scope_tier,
                    trigger.scope_account_id,
                    now - timedelta(days=trigger.window_days),
                    now,
                )
            except ValueError:  # a metric this version does not know: skip it, keep the others
                log.warning("review trigger %s: cannot measure %r", trigger.id, trigger.metric)
                continue
        value = measured[key]
        armed_since = trigger.last_evaluated_at
        trigger.last_value = value
        trigger.last_evaluated_at = now
        if value is None:
            continue
        past = COMPARE[trigger.comparison](value, trigger.threshold)
        if past and not trigger.fired:
            trigger.fired = True
            since = armed_since.isoformat() if armed_since is not None else "first"
            firings.append(
                TriggerFiring(
                    trigger_id=trigger.id,
                    decision_id=decision.id,
                    short_id=format_short_id(decision.id),
                    title=decision.title,
                    owner=decision.owner,
                    source_channel=decision.source_channel,
                    description=describe_trigger(trigger, policy, names.get(trigger.scope_account_id or 0)),
                    value=value,
                    threshold=trigger.threshold,
                    comparison=trigger.comparison,
                    metric=trigger.metric,
                    unit=METRIC_UNITS.get(trigger.metric, ""),
                    window_days=trigger.window_days,
                    crossed_at=now,
                    period_key=f"crossing:{trigger.id}:{since}",
                )
            )
        elif not past and trigger.fired:
            trigger.fired = False  # back within the threshold: re-armed, nothing to post
    return firings


def describe_trigger(trigger: ReviewTrigger, policy: Policy, account_name: str | None = None) -> str:
    """'Enterprise median resolution time > 8 h over 30 days', 'Acme Corp SLA attainment < 90% ...'."""
    if trigger.scope_account_id is not None:
        scope = account_name or f"Account #{trigger.scope_account_id}"
    elif trigger.scope_tier is not None:
        found = policy.find_tier(trigger.scope_tier)
        scope = found.name if found is not None else trigger.scope_tier  # a tier since removed
    else:
        scope = "All accounts"
    phrase = PHRASES.get(trigger.metric, trigger.metric.replace("_", " "))
    text = f"{scope} {phrase} {trigger.comparison} {format_value(trigger.threshold, trigger.metric)}"
    if trigger.metric not in WINDOWLESS:
        days = trigger.window_days
        text += f" over {days} day" if days == 1 else f" over {days} days"
    return text


def format_value(value: float, metric: str) -> str:
    unit = METRIC_UNITS.get(metric, "")
    if unit == "$":
        return f"${value:,.2f}".removesuffix(".00")
    number = _number(value)
    if unit == "h":
        return f"{number} h"
    if unit == "%":
        return f"{number}%"
    return number


def _number(value: float) -> str:
    """8.0 -> '8', 8.5 -> '8.5', 92.345 -> '92.35', 1200 -> '1,200'."""
    text = f"{value:,.2f}"
    return text.rstrip("0").rstrip(".") if "." in text else text
