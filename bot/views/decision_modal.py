"""The three-step decision modal (Frame, Compare, Commit): views prefilled from a draft. Reading their
submitted state back, and placing refusals on their blocks, is `bot.views.decision_state`."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from bot.decisions.record import (
    COMPARISONS,
    METRIC_LABELS,
    METRIC_UNITS,
    METRICS,
    OPTION_KEYS,
    DecisionInput,
)
from bot.decisions.validation import distinct_option_keys
from bot.policy.model import Policy
from bot.text import truncate
from bot.views import decision_ids as ids
from bot.views.blocks import Block, actions, button, context, plain_text, section

View = dict[str, Any]
TEXT_MAX = 3000  # plain_text_input max_length: what Slack lets anyone type, and what we store whole
OPTION_TEXT_MAX = 75
TITLE_MAX = 24
DEFAULT_HORIZON_DAYS = 90
DEFAULT_REVIEW_DAYS = 30


@dataclass(frozen=True)
class ModalContext:
    draft_id: str
    verb: str  # "New decision", "Edit D-42", "Supersede D-42"
    policy: Policy
    today: date
    account_names: dict[int, str] = field(default_factory=dict)


def metadata(draft_id: str) -> str:
    return json.dumps({"draft": draft_id})


def draft_id_of(view: dict[str, Any]) -> str | None:
    try:
        value = json.loads(view.get("private_metadata") or "{}").get("draft")
    except (ValueError, AttributeError):
        return None
    return value if isinstance(value, str) else None


# -- elements -------------------------------------------------------------------------------------------
def _option(text: str, value: str) -> dict[str, Any]:
    return {"text": plain_text(truncate(text, OPTION_TEXT_MAX)), "value": value[:150]}


def _input(
    block_id: str, label: str, element: dict[str, Any], *, optional: bool = False, hint: str = ""
) -> Block:
    block: Block = {
        "type": "input",
        "block_id": block_id,
        "label": plain_text(truncate(label, 2000)),
        "element": element,
        "optional": optional,
    }
    if hint:
        block["hint"] = plain_text(truncate(hint, 2000))
    return block


def _text_input(
    block_id: str,
    label: str,
    value: str,
    *,
    multiline: bool = True,
    optional: bool = True,
    placeholder: str = "",
    hint: str = "",
) -> Block:
    element: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": ids.INPUT,
        "multiline": multiline,
        "max_length": TEXT_MAX,
    }
    if value:
        element["initial_value"] = value[:TEXT_MAX]
    if placeholder:
        element["placeholder"] = plain_text(truncate(placeholder, 150))
    return _input(block_id, label, element, optional=optional, hint=hint)


def _static_select(
    block_id: str, label: str, choices: list[tuple[str, str]], selected: str | None, *, optional: bool = True
) -> Block:
    options = [_option(text, value) for text, value in choices][:100]
    element: dict[str, Any] = {
        "type": "static_select",
        "action_id": ids.INPUT,
        "options": options,
        "placeholder": plain_text("Choose"),
    }
    initial = next((o for o in options if o["value"] == selected), None)
    if initial is not None:
        element["initial_option"] = initial
    return _input(block_id, label, element, optional=optional)


def _date_input(block_id: str, label: str, value: date | None, *, hint: str = "") -> Block:
    element: dict[str, Any] = {"type": "datepicker", "action_id": ids.INPUT}
    if value is not None:
        element["initial_date"] = value.isoformat()
    return _input(block_id, label, element, hint=hint)


def _title(ctx: ModalContext, step: int) -> dict[str, Any]:
    return plain_text(truncate(f"{ctx.verb} · {step}/3", TITLE_MAX))


def _view(ctx: ModalContext, callback_id: str, step: int, submit: str, blocks: list[Block]) -> View:
    return {
        "type": "modal",
        "callback_id": callback_id,
        "title": _title(ctx, step),
        "submit": plain_text(submit),
        "close": plain_text("Cancel"),
        "private_metadata": metadata(ctx.draft_id),
        "blocks": blocks[:100],
    }


def _back(to: str, label: str) -> Block:
    return actions([button(f"← Back to {label}", ids.BACK, to)], block_id=ids.NAV_BLOCK)


# -- steps --------------------------------------------------------------------------------------------
def frame_view(ctx: ModalContext, data: DecisionInput, user_id: str) -> View:
    tier_choices = [(t.name, t.key) for t in ctx.policy.tiers]
    tiers_element: dict[str, Any] = {
        "type": "multi_static_select",
        "action_id": ids.INPUT,
        "options": [_option(n, k) for n, k in tier_choices],
        "placeholder": plain_text("Tiers it touches"),
    }
    chosen_tiers = [_option(n, k) for n, k in tier_choices if k in data.tiers]
    if chosen_tiers:
        tiers_element["initial_options"] = chosen_tiers
    accounts_element: dict[str, Any] = {
        "type": "multi_external_select",
        "action_id": ids.ACCOUNTS_SEARCH,
        "min_query_length": 1,
        "placeholder": plain_text("Search accounts by name, id or domain"),
    }
    chosen_accounts = [_option(ctx.account_names.get(a, f"Account {a}"), str(a)) for a in data.account_ids][
        :100
    ]
    if chosen_accounts:
        accounts_element["initial_options"] = chosen_accounts
    owner_element = {"type": "users_select", "action_id": ids.INPUT, "placeholder": plain_text("Owner")}
    owner = data.owner if data.owner is not None else user_id
    if owner:
        owner_element["initial_user"] = owner
    horizon = data.horizon or ctx.today + timedelta(days=DEFAULT_HORIZON_DAYS)
    blocks: list[Block] = [
        context("*Frame* the decision: what is being decided, by whom, and for how long it should hold."),
        _text_input(
            ids.TITLE,
            "Decision to make",
            data.title,
            multiline=False,
            optional=False,
            placeholder="e.g. Should Professional accounts get 24x7 sev1 coverage?",
        ),
        _text_input(
            ids.OBJECTIVE, "Objective", data.objective, placeholder="What should be better, for whom"
        ),
        _text_input(ids.SCOPE, "Scope", data.scope, placeholder="What is in and out of this decision"),
        _date_input(ids.HORIZON, "Time horizon (the decision holds until)", horizon),
        _input(ids.OWNER, "Owner (accountable for the outcome)", owner_element),
        _input(ids.TIERS, "Tiers it touches", tiers_element, optional=True),
        _input(ids.ACCOUNTS, "Accounts it touches", accounts_element, optional=True),
    ]
    return _view(ctx, ids.FRAME, 1, "Next: Compare", blocks)


def compare_view(ctx: ModalContext, data: DecisionInput) -> View:
    blocks: list[Block] = [
        _back(ids.FRAME, "Frame"),
        context(
            "*Compare* at least two real options. Keep evidence apart from assumptions and open questions."
        ),
    ]
    for key in OPTION_KEYS:
        option = data.option(key)
        title, constraints, tradeoffs = (
            (option.title, option.constraints, option.tradeoffs) if option else ("", "", "")
        )
        blocks += [
            _text_input(
                ids.OPTION_TITLE.format(key=key),
                f"Option {key}",
                title,
                multiline=False,
                optional=key == "C",
                hint="Leave option C empty if there are only two." if key == "C" else "",
            ),
            _text_input(ids.OPTION_CONSTRAINTS.format(key=key), f"Option {key}: constraints", constraints),
            _text_input(ids.OPTION_TRADEOFFS.format(key=key), f"Option {key}: trade-offs", tradeoffs),
        ]
    blocks += [
        _text_input(
            ids.EVIDENCE,
            "Evidence (what was observed)",
            data.evidence,
            optional=False,
            placeholder="Ticket data, metrics, contract facts, customer feedback",
        ),
        _text_input(ids.ASSUMPTIONS, "Assumptions (what is believed, not yet shown)", data.assumptions),
        _text_input(ids.OPEN_QUESTIONS, "Open questions", data.open_questions),
        section("*Success metrics*: today's baseline and the target"),
    ]
    for metric in data.success_metrics:
        label = METRIC_LABELS.get(metric.metric, metric.metric)
        blocks += [
            _text_input(
                ids.METRIC_BASELINE.format(metric=metric.metric),
                f"{label}: baseline today",
                metric.baseline,
                multiline=False,
            ),
            _text_input(
                ids.METRIC_TARGET.format(metric=metric.metric),
                f"{label}: target",
                metric.target,
                multiline=False,
            ),
        ]
    blocks += [
        _text_input(
            ids.KEY_ASSUMPTIONS,
            "Key assumptions",
            data.key_assumptions,
            placeholder="Usage criticality, contract tier, issue severity mix",
        ),
        _text_input(ids.SCENARIO_RANGES, "Scenario ranges", data.scenario_ranges),
        _text_input(
            ids.TRADEOFF_SUMMARY,
            "Trade-off summary",
            data.tradeoff_summary,
            placeholder="Service differentiation versus fairness",
        ),
        _text_input(ids.RISKS, "Risks and mitigations", data.risks),
        _text_input(ids.CRITERIA, "Decision criteria", data.criteria),
    ]
    return _view(ctx, ids.COMPARE, 2, "Next: Commit", blocks)


def _trigger_rows(ctx: ModalContext, data: DecisionInput) -> list[Block]:
    metric_choices = [(f"{METRIC_LABELS[m]} ({METRIC_UNITS[m]})", m) for m in METRICS]
    scope_choices = [(f"Tier: {t.name}", f"tier:{t.key}") for t in ctx.policy.tiers]
    scope_choices += [
        (f"Account: {ctx.account_names.get(a, a)}", f"account:{a}") for a in data.account_ids[:90]
    ]
    comparison_choices = [(c, c) for c in COMPARISONS]
    blocks: list[Block] = [
        section(
            "*Review triggers* (optional): review early when a metric crosses a threshold, "
            "e.g. _Enterprise resolution time > 8 h_."
        )
    ]
    for n in range(1, ids.TRIGGER_ROWS + 1):
        row = data.triggers[n - 1] if n <= len(data.triggers) else None
        scope = None
        if row and row.scope_tier:
            scope = f"tier:{row.scope_tier}"
        elif row and row.scope_account_id is not None:
            scope = f"account:{row.scope_account_id}"
        threshold: dict[str, Any] = {
            "type": "number_input",
            "action_id": ids.INPUT,
            "is_decimal_allowed": True,
        }
        if row and row.threshold is not None:
            threshold["initial_value"] = f"{row.threshold:g}"
        blocks += [
            _static_select(
                ids.TRIGGER.format(n=n, part="metric"),
                f"Trigger {n}: metric",
                metric_choices,
                row.metric if row else None,
            ),
            _static_select(
                ids.TRIGGER.format(n=n, part="scope"), f"Trigger {n}: scope", scope_choices, scope
            ),
            _static_select(
                ids.TRIGGER.format(n=n, part="comparison"),
                f"Trigger {n}: comparison",
                comparison_choices,
                row.comparison if row else None,
            ),
            _input(
                ids.TRIGGER.format(n=n, part="threshold"), f"Trigger {n}: threshold", threshold, optional=True
            ),
        ]
    window = {
        "type": "number_input",
        "action_id": ids.INPUT,
        "is_decimal_allowed": False,
        "min_value": "1",
        "max_value": "365",
        "initial_value": str(data.window_days),
    }
    blocks.append(
        _input(
            ids.WINDOW_DAYS, "Trigger window (days)", window, hint="Metrics are measured over this many days."
        )
    )
    return blocks


def commit_view(ctx: ModalContext, data: DecisionInput) -> View:
    keys = distinct_option_keys(data)
    choices = [(f"{k}: {(data.option(k) or data.options[0]).title.strip()}", k) for k in keys]
    if not choices:  # only reachable if the draft was tampered with; Back leads to Compare
        choices = [("Go back and add options", "none")]
    review = data.review_date or min(
        ctx.today + timedelta(days=DEFAULT_REVIEW_DAYS), data.horizon or ctx.today
    )
    blocks: list[Block] = [
        _back(ids.COMPARE, "Compare"),
        context("*Commit* to one option, when it will be looked at again, and what would reverse it."),
        _static_select(ids.CHOSEN, "Chosen option", choices, data.chosen_option, optional=False),
        _text_input(ids.RATIONALE, "Why this option", data.rationale, optional=False),
        _date_input(
            ids.REVIEW_DATE,
            "Review date",
            review,
            hint=f"Between today and the horizon ({data.horizon.isoformat() if data.horizon else '?'}).",
        ),
        _text_input(
            ids.CADENCE_INITIAL, "Initial review: confirm inputs and assumptions", data.cadence_initial
        ),
        _text_input(
            ids.CADENCE_OPERATING, "Operating review: recheck evidence and drift", data.cadence_operating
        ),
        _text_input(
            ids.CADENCE_POST, "Post-review: continue, adapt or stop on what signals", data.cadence_post
        ),
        _text_input(
            ids.REVERSAL_SIGNAL,
            "Reversal signal (what would make us undo this)",
            data.reversal_signal,
            optional=False,
        ),
        _text_input(ids.STOP_CONDITIONS, "Stop conditions", data.stop_conditions),
        *_trigger_rows(ctx, data),
    ]
    return _view(ctx, ids.COMMIT, 3, "Record decision", blocks)


def step_view(step: str, ctx: ModalContext, data: DecisionInput, user_id: str) -> View:
    if step == ids.COMPARE:
        return compare_view(ctx, data)
    if step == ids.COMMIT:
        return commit_view(ctx, data)
    return frame_view(ctx, data, user_id)
