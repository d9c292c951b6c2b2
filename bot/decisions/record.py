"""What a decision record is made of, as typed in (before validation), and its short id (`D-42`).

`DecisionInput` is deliberately lenient: it holds whatever the three modal steps collected, including
half-filled rows, so a refusal never loses what was typed. `validation.py` says what is missing.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field

from bot.text import as_row_id
from storage.models.decisions import (
    ACTIVE_STATUSES,
    COMPARISONS,
    METRICS,
    OUTCOMES,
    STATUSES,
    DecisionStatus,
    Outcome,
)

__all__ = [
    "ACTIVE_STATUSES",
    "COMPARISONS",
    "DEFAULT_OPTIONS",
    "METRICS",
    "METRIC_LABELS",
    "METRIC_UNITS",
    "OPTION_KEYS",
    "OUTCOMES",
    "STATUSES",
    "SUCCESS_METRICS",
    "DecisionInput",
    "DecisionStatus",
    "MetricInput",
    "OptionInput",
    "Outcome",
    "TriggerInput",
    "format_short_id",
    "local_today",
    "parse_short_id",
]

OPTION_KEYS = ("A", "B", "C")
# Offered as starting points (editable): keep, stage, redesign.
DEFAULT_OPTIONS = {
    "A": "Keep the current approach",
    "B": "Pilot in stages, scale after thresholds are met",
    "C": "Redesign end to end",
}
METRIC_LABELS = {
    "resolution_time": "Resolution time",
    "first_response_time": "First response time",
    "sla_attainment": "SLA attainment",
    "support_cost_per_account": "Support cost per account",
    "health_score": "Customer health score",
    "severity_mix_share": "Severity mix share (sev1+sev2)",
}
# The unit a trigger threshold is written in; the scheduler compares the metric in the same unit.
METRIC_UNITS = {
    "resolution_time": "h",
    "first_response_time": "h",
    "sla_attainment": "%",
    "support_cost_per_account": "$",
    "health_score": "pts",
    "severity_mix_share": "%",
}
# The three success metrics every record baselines (the framework's own).
SUCCESS_METRICS = ("resolution_time", "support_cost_per_account", "health_score")
OUTCOME_LABELS: dict[str, str] = {Outcome.CONTINUE: "Continue", Outcome.ADAPT: "Adapt", Outcome.STOP: "Stop"}

_SHORT_ID = re.compile(r"^\s*(?:d\s*-?\s*|#)?(\d{1,9})\s*$", re.IGNORECASE)


def local_today(now: datetime, timezone: str) -> date:
    """The team's calendar date: review dates are days in the team's time zone, not in UTC."""
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    return now.astimezone(zone).date()


def format_short_id(decision_id: int) -> str:
    return f"D-{decision_id}"


def parse_short_id(text: str | None) -> int | None:
    """'D-42', 'd42', '#42' and '42' -> 42; anything else -> None."""
    if not text:
        return None
    m = _SHORT_ID.match(text)
    return as_row_id(m[1]) if m else None


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="ignore")


class OptionInput(_Lenient):
    key: str
    title: str = ""
    constraints: str = ""
    tradeoffs: str = ""


class MetricInput(_Lenient):
    metric: str
    baseline: str = ""
    target: str = ""


class TriggerInput(_Lenient):
    """One review-trigger row; any part may still be missing while the modal is being filled."""

    metric: str | None = None
    scope_tier: str | None = None
    scope_account_id: int | None = None
    comparison: str | None = None
    threshold: float | None = None

    @property
    def is_blank(self) -> bool:
        return (
            self.metric is None
            and self.scope_tier is None
            and self.scope_account_id is None
            and self.comparison is None
            and self.threshold is None
        )

    @property
    def is_complete(self) -> bool:
        has_scope = (self.scope_tier is None) != (self.scope_account_id is None)
        return (
            self.metric in METRICS
            and has_scope
            and self.comparison in COMPARISONS
            and self.threshold is not None
        )


def _default_options() -> list[OptionInput]:
    return [OptionInput(key=k, title=t) for k, t in DEFAULT_OPTIONS.items()]


def _default_metrics() -> list[MetricInput]:
    return [MetricInput(metric=m) for m in SUCCESS_METRICS]


class DecisionInput(_Lenient):
    # Frame
    title: str = ""
    objective: str = ""
    scope: str = ""
    horizon: date | None = None
    owner: str | None = None
    tiers: list[str] = Field(default_factory=list)
    account_ids: list[int] = Field(default_factory=list)
    # Compare
    options: list[OptionInput] = Field(default_factory=_default_options)
    evidence: str = ""
    assumptions: str = ""
    open_questions: str = ""
    success_metrics: list[MetricInput] = Field(default_factory=_default_metrics)
    key_assumptions: str = ""
    scenario_ranges: str = ""
    tradeoff_summary: str = ""
    risks: str = ""
    criteria: str = ""
    # Commit
    chosen_option: str | None = None
    rationale: str = ""
    review_date: date | None = None
    cadence_initial: str = ""
    cadence_operating: str = ""
    cadence_post: str = ""
    reversal_signal: str = ""
    stop_conditions: str = ""
    triggers: list[TriggerInput] = Field(default_factory=list)
    window_days: int = 30

    def option(self, key: str | None) -> OptionInput | None:
        return next((o for o in self.options if o.key == key), None)

    def filled_options(self) -> list[OptionInput]:
        return [o for o in self.options if o.title.strip()]

    def complete_triggers(self) -> list[TriggerInput]:
        return [t for t in self.triggers if t.is_complete]

    def merged(self, changes: dict[str, Any]) -> DecisionInput:
        """A copy with some fields replaced (validated again, so nested dicts become models)."""
        return DecisionInput.model_validate({**self.model_dump(), **changes})
