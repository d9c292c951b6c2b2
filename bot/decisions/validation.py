"""The framework's refusals: a decision with no owner, no evidence or no real choice is not recorded.

Each check returns {field: message}; the Slack handler maps fields to the modal's block ids, the CLI
or tests read them as they are. Field names are `DecisionInput` attributes, plus `options.A`..`C` for
an option's title and `triggers.<n>.<part>` (n from 1) for a review-trigger row.
"""

from __future__ import annotations

from datetime import date

from bot.decisions.record import COMPARISONS, METRICS, OPTION_KEYS, DecisionInput, TriggerInput
from bot.text import normalize

Errors = dict[str, str]

# Words people type into a required box when they have nothing to put there.
_NOT_EVIDENCE = frozenset(
    ["", "n a", "na", "none", "tbd", "todo", "unknown", "no data", "nothing", "see above", "later", "x"]
)

FRAME_FIELDS = ("title", "owner", "horizon")
COMPARE_FIELDS = ("evidence", *(f"options.{k}" for k in OPTION_KEYS))
COMMIT_FIELDS = ("chosen_option", "rationale", "review_date", "reversal_signal", "window_days")


def _blank(text: str | None) -> bool:
    return not (text or "").strip()


def validate_frame(data: DecisionInput, today: date) -> Errors:
    errors: Errors = {}
    if _blank(data.title):
        errors["title"] = "Write the decision to be made, as a question or a choice."
    if _blank(data.owner):
        errors["owner"] = (
            "Name one owner. Without someone accountable the record will not change what anyone does."
        )
    if data.horizon is None:
        errors["horizon"] = "Pick the time horizon: the date until which this decision should hold."
    elif data.horizon <= today:
        errors["horizon"] = "The horizon must be after today; a decision needs time to be acted on."
    return errors


def validate_evidence(data: DecisionInput) -> Errors:
    evidence = normalize(data.evidence or "")
    assumptions = normalize(data.assumptions or "")
    if evidence in _NOT_EVIDENCE:
        if assumptions:
            return {
                "evidence": "Assumptions alone are not evidence. Add what was observed: ticket data, "
                "metrics, contract facts, customer feedback."
            }
        return {"evidence": "Add the evidence: what was observed, not what is expected."}
    if evidence == assumptions:
        return {"evidence": "This repeats the assumptions. Assumptions alone are not evidence."}
    return {}


def validate_options(data: DecisionInput) -> Errors:
    errors: Errors = {}
    seen: dict[str, str] = {}
    for option in data.options:
        title = normalize(option.title)
        if not title:
            continue
        if title in seen:
            errors[f"options.{option.key}"] = (
                f"Option {option.key} is the same as option {seen[title]}: write a different alternative."
            )
        else:
            seen[title] = option.key
    if len(seen) < 2:
        blank = [k for k in OPTION_KEYS[:2] if not normalize(getattr(data.option(k), "title", ""))]
        errors.setdefault(
            f"options.{blank[0]}" if blank else "options.B",
            "Give at least two real options. With only one there is no choice to record.",
        )
    return errors


def validate_compare(data: DecisionInput) -> Errors:
    return {**validate_evidence(data), **validate_options(data)}


def distinct_option_keys(data: DecisionInput) -> list[str]:
    """Keys of the options that count: titled, and not a repeat of an earlier one."""
    seen: set[str] = set()
    keys = []
    for option in data.options:
        title = normalize(option.title)
        if title and title not in seen:
            seen.add(title)
            keys.append(option.key)
    return keys


def validate_review_date(data: DecisionInput, today: date) -> Errors:
    if data.review_date is None:
        return {"review_date": "Pick the date this decision will be looked at again."}
    if data.review_date < today:
        return {"review_date": "The review date is in the past. Pick today or a later date."}
    if data.horizon is not None and data.review_date > data.horizon:
        return {
            "review_date": f"The review date is beyond the horizon ({data.horizon.isoformat()}). "
            "Review before the decision runs out."
        }
    return {}


def _first_missing(row: TriggerInput) -> str:
    if row.metric not in METRICS:
        return "metric"
    if (row.scope_tier is None) == (row.scope_account_id is None):
        return "scope"
    if row.comparison not in COMPARISONS:
        return "comparison"
    return "threshold"


def validate_triggers(data: DecisionInput) -> Errors:
    errors: Errors = {}
    for n, row in enumerate(data.triggers, start=1):
        if row.is_blank or row.is_complete:
            continue
        part = _first_missing(row)
        errors[f"triggers.{n}.{part}"] = (
            "Complete this trigger (metric, scope, comparison and threshold) or clear the row."
        )
    if not 1 <= data.window_days <= 365:
        errors["window_days"] = "The window is 1 to 365 days."
    return errors


def validate_commit(data: DecisionInput, today: date, *, check_review_date: bool = True) -> Errors:
    errors: Errors = {}
    keys = distinct_option_keys(data)
    if data.chosen_option not in keys:
        errors["chosen_option"] = "Choose one of the options compared in step 2" + (
            f" ({', '.join(keys)})." if keys else "."
        )
    if _blank(data.rationale):
        errors["rationale"] = "Say why this option: the reasoning is what a later review will test."
    if check_review_date:
        errors.update(validate_review_date(data, today))
    if _blank(data.reversal_signal):
        errors["reversal_signal"] = (
            "Write the signal that would make you reverse this decision. Without one it cannot fail."
        )
    errors.update(validate_triggers(data))
    return errors


def validate(data: DecisionInput, today: date, *, check_review_date: bool = True) -> Errors:
    """Every refusal at once (frame, compare, commit): what a stored record must satisfy."""
    return {
        **validate_frame(data, today),
        **validate_compare(data),
        **validate_commit(data, today, check_review_date=check_review_date),
    }
