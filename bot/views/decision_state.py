"""Reading submitted decision modals (the three steps back into the draft; Review and Reverse into
their few values), and placing refusals on a step's blocks.

Slack's payload shape: view.state.values[block_id][action_id] -> {"type", "value" | "selected_option" |
"selected_options" | "selected_user" | "selected_date"}. Blocks of other steps are absent, so a step only
changes its own fields and the draft keeps the rest.

Every string read here goes through `bot.text.storable`: a NUL pasted into any field would otherwise be
refused by PostgreSQL on every save of the draft, so that draft could never be committed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from bot.decisions.record import OPTION_KEYS, DecisionInput, TriggerInput
from bot.text import storable
from bot.views import decision_ids as ids

Values = dict[str, dict[str, dict[str, Any]]]


def _element(values: Values, block_id: str) -> dict[str, Any] | None:
    actions = values.get(block_id)
    if not actions:
        return None
    return next(iter(actions.values()), None)


def _text(values: Values, block_id: str) -> str | None:
    el = _element(values, block_id)
    if el is None:
        return None
    return _string(el.get("value"))


def _string(value: Any) -> str:
    """A payload value as text the database can store ("" for a missing or non-string value)."""
    return storable(value) if isinstance(value, str) else ""


def _selected(values: Values, block_id: str) -> str | None:
    el = _element(values, block_id)
    option = (el or {}).get("selected_option") or {}
    value = option.get("value")
    return _string(value) if value is not None else None


def _selected_many(values: Values, block_id: str) -> list[str] | None:
    el = _element(values, block_id)
    if el is None:
        return None
    return [_string(o.get("value", "")) for o in el.get("selected_options") or []]


def _date(values: Values, block_id: str) -> tuple[bool, date | None]:
    el = _element(values, block_id)
    if el is None:
        return False, None
    raw = el.get("selected_date")
    try:
        return True, date.fromisoformat(raw) if raw else None
    except ValueError:
        return True, None


def _number(values: Values, block_id: str) -> float | None:
    raw = (_element(values, block_id) or {}).get("value")
    try:
        return float(raw) if raw not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _set_text(changes: dict[str, Any], values: Values, name: str, block_id: str) -> None:
    value = _text(values, block_id)
    if value is not None:
        changes[name] = value


def _frame(values: Values, data: DecisionInput, changes: dict[str, Any]) -> None:
    for name, block in (("title", ids.TITLE), ("objective", ids.OBJECTIVE), ("scope", ids.SCOPE)):
        _set_text(changes, values, name, block)
    present, horizon = _date(values, ids.HORIZON)
    if present:
        changes["horizon"] = horizon
    owner = _element(values, ids.OWNER)
    if owner is not None:
        # An emptied selection must read as "no owner", not fall back to the person asking.
        changes["owner"] = _string(owner.get("selected_user"))
    tiers = _selected_many(values, ids.TIERS)
    if tiers is not None:
        changes["tiers"] = tiers
    accounts = _selected_many(values, ids.ACCOUNTS)
    if accounts is not None:
        changes["account_ids"] = [int(a) for a in accounts if a.isdigit()]


def _compare(values: Values, data: DecisionInput, changes: dict[str, Any]) -> None:
    options = []
    for key in OPTION_KEYS:
        current = data.option(key)
        option = current.model_dump() if current else {"key": key}
        for part, template in (
            ("title", ids.OPTION_TITLE),
            ("constraints", ids.OPTION_CONSTRAINTS),
            ("tradeoffs", ids.OPTION_TRADEOFFS),
        ):
            value = _text(values, template.format(key=key))
            if value is not None:
                option[part] = value
        options.append(option)
    changes["options"] = options
    for name, block in (
        ("evidence", ids.EVIDENCE),
        ("assumptions", ids.ASSUMPTIONS),
        ("open_questions", ids.OPEN_QUESTIONS),
        ("key_assumptions", ids.KEY_ASSUMPTIONS),
        ("scenario_ranges", ids.SCENARIO_RANGES),
        ("tradeoff_summary", ids.TRADEOFF_SUMMARY),
        ("risks", ids.RISKS),
        ("criteria", ids.CRITERIA),
    ):
        _set_text(changes, values, name, block)
    metrics = []
    for metric in data.success_metrics:
        row = metric.model_dump()
        for part, template in (("baseline", ids.METRIC_BASELINE), ("target", ids.METRIC_TARGET)):
            value = _text(values, template.format(metric=metric.metric))
            if value is not None:
                row[part] = value
        metrics.append(row)
    changes["success_metrics"] = metrics


def _trigger(values: Values, n: int) -> TriggerInput:
    def block(part: str) -> str:
        return ids.TRIGGER.format(n=n, part=part)

    scope = _selected(values, block("scope")) or ""
    kind, _, ref = scope.partition(":")
    return TriggerInput(
        metric=_selected(values, block("metric")),
        scope_tier=ref if kind == "tier" and ref else None,
        scope_account_id=int(ref) if kind == "account" and ref.isdigit() else None,
        comparison=_selected(values, block("comparison")),
        threshold=_number(values, block("threshold")),
    )


def _commit(values: Values, data: DecisionInput, changes: dict[str, Any]) -> None:
    if _element(values, ids.CHOSEN) is not None:
        changes["chosen_option"] = _selected(values, ids.CHOSEN)
    for name, block in (
        ("rationale", ids.RATIONALE),
        ("cadence_initial", ids.CADENCE_INITIAL),
        ("cadence_operating", ids.CADENCE_OPERATING),
        ("cadence_post", ids.CADENCE_POST),
        ("reversal_signal", ids.REVERSAL_SIGNAL),
        ("stop_conditions", ids.STOP_CONDITIONS),
    ):
        _set_text(changes, values, name, block)
    present, review = _date(values, ids.REVIEW_DATE)
    if present:
        changes["review_date"] = review
    if ids.TRIGGER.format(n=1, part="metric") in values:
        rows = [_trigger(values, n) for n in range(1, ids.TRIGGER_ROWS + 1)]
        # Trailing blank rows are noise; a blank row between filled ones keeps its place (and is skipped).
        while rows and rows[-1].is_blank:
            rows.pop()
        changes["triggers"] = [r.model_dump() for r in rows]
    if _element(values, ids.WINDOW_DAYS) is not None:
        window = _number(values, ids.WINDOW_DAYS)
        changes["window_days"] = int(window) if window is not None and window == int(window) else 0


def apply_state(step: str, values: Values, data: DecisionInput) -> DecisionInput:
    """The draft with the fields of `step` replaced by what the view's state holds."""
    changes: dict[str, Any] = {}
    {ids.FRAME: _frame, ids.COMPARE: _compare, ids.COMMIT: _commit}[step](values, data, changes)
    return data.merged(changes) if changes else data


@dataclass(frozen=True)
class ReviewAnswers:
    outcome: str
    note: str
    next_review: date | None


def review_state(values: Values) -> ReviewAnswers:
    """What the Review modal holds: the outcome chosen, what the review found, the next review."""
    _present, next_review = _date(values, ids.NEXT_REVIEW)
    return ReviewAnswers(
        outcome=_selected(values, ids.OUTCOME) or "",
        note=_text(values, ids.NOTE) or "",
        next_review=next_review,
    )


def reverse_state(values: Values) -> str:
    """The reason typed in the Reverse modal."""
    return _text(values, ids.REASON) or ""


# -- refusals -> blocks ---------------------------------------------------------------------------------
GENERAL = "_"  # the error key of a refusal that names no field: shown on the step's first field
_FIELD_BLOCKS = {
    "title": ids.TITLE,
    "owner": ids.OWNER,
    "horizon": ids.HORIZON,
    "evidence": ids.EVIDENCE,
    "chosen_option": ids.CHOSEN,
    "rationale": ids.RATIONALE,
    "review_date": ids.REVIEW_DATE,
    "reversal_signal": ids.REVERSAL_SIGNAL,
    "window_days": ids.WINDOW_DAYS,
    **{f"options.{k}": ids.OPTION_TITLE.format(key=k) for k in OPTION_KEYS},
    **{
        f"triggers.{n}.{part}": ids.TRIGGER.format(n=n, part=part)
        for n in range(1, ids.TRIGGER_ROWS + 1)
        for part in ids.TRIGGER_PARTS
    },
}
# Where a refusal that belongs to another step (or to no field) is shown, per step.
_FALLBACK_BLOCK = {ids.FRAME: ids.TITLE, ids.COMPARE: ids.EVIDENCE, ids.COMMIT: ids.CHOSEN}
_STEP_NAMES = {"title": "Frame", "owner": "Frame", "horizon": "Frame", "evidence": "Compare"}


def block_errors(step: str, view: dict[str, Any], errors: dict[str, str]) -> dict[str, str]:
    """{block_id: message} for `response_action: errors`, only naming blocks present in the view."""
    present = {b.get("block_id") for b in view.get("blocks", []) if b.get("type") == "input"}
    out: dict[str, str] = {}
    for name, message in errors.items():
        block = _FIELD_BLOCKS.get(name)
        if block is not None and block in present:
            out.setdefault(block, message)
            continue
        where = _STEP_NAMES.get(name) or ("Compare" if name.startswith("options.") else "")
        fallback = _FALLBACK_BLOCK[step]
        prefix = f"{where}: " if where else ""
        out[fallback] = (out[fallback] + " " if fallback in out else "") + prefix + message
    return {k: v[:2000] for k, v in out.items()}
