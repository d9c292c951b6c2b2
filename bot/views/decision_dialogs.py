"""Small modals around one record: View (everything, with history), Review (outcome), Reverse (reason)."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from bot.decisions.record import METRIC_LABELS, OUTCOME_LABELS
from bot.decisions.snapshot import RecordSnapshot
from bot.policy.model import Policy
from bot.text import MAX_ROW_ID, truncate
from bot.views import decision_ids as ids
from bot.views.blocks import Block, actions, bullet_list, button, context, plain_text, section
from bot.views.decision_record import cut, show_blocks, trigger_lines
from bot.views.format import escape_mrkdwn, user_mention

View = dict[str, Any]
FULL = 2900  # a modal has room for each field whole (3,000 typed; escaping may add a little)


def record_metadata(decision_id: int, channel: str | None = None, ts: str | None = None) -> str:
    return json.dumps({"id": decision_id, "ch": channel, "ts": ts})


def read_metadata(view: dict[str, Any]) -> tuple[int | None, str | None, str | None]:
    """(decision id, channel, message ts) from a record modal's private_metadata."""
    try:
        meta = json.loads(view.get("private_metadata") or "{}")
        decision_id = meta.get("id")
        known = decision_id if isinstance(decision_id, int) and 0 < decision_id <= MAX_ROW_ID else None
        return known, meta.get("ch"), meta.get("ts")
    except (ValueError, AttributeError):
        return None, None, None


def view_modal(record: RecordSnapshot, policy: Policy, today: date, *, can_change: bool) -> View:
    blocks = show_blocks(record, policy, today, limit=FULL)
    if record.scenarios:
        kept = [
            f"`{escape_mrkdwn(s.command)}` ({s.kind}, data of {s.as_of.date().isoformat()}, attached by "
            f"{user_mention(s.attached_by)})"
            for s in record.scenarios
        ]
        blocks.append(
            section(
                "*Attached scenarios* (re-run on current data at *Start review*)\n" + bullet_list(kept[:20]),
                ids.SCENARIOS,
            )
        )
    if can_change and record.is_active:
        blocks.append(actions([button("Edit this record", ids.EDIT, str(record.id))]))
    blocks.append(
        context(f"`tierbot decisions export {record.short_id}` writes it as a Markdown decision record.")
    )
    return {
        "type": "modal",
        "callback_id": ids.VIEW_MODAL,
        "title": plain_text(truncate(f"Decision {record.short_id}", 24)),
        "close": plain_text("Close"),
        "private_metadata": record_metadata(record.id),
        "blocks": blocks[:100],
    }


def review_modal(
    record: RecordSnapshot,
    policy: Policy,
    next_review: date | None,
    *,
    outcome: str | None = None,
    channel: str | None = None,
    ts: str | None = None,
    scenarios: list[Block] | None = None,
) -> View:
    """`scenarios`: what moved since the attached scenarios were run (built by bot.views.scenario)."""
    data = record.data
    metrics = [
        f"{METRIC_LABELS.get(m.metric, m.metric)}: baseline {cut(m.baseline, 200)} → target {cut(m.target, 200)}"
        for m in data.success_metrics
    ]
    triggers = trigger_lines(record, policy)
    options = [{"text": plain_text(label), "value": key} for key, label in OUTCOME_LABELS.items()]
    outcome_element: dict[str, Any] = {"type": "radio_buttons", "action_id": ids.INPUT, "options": options}
    initial = next((o for o in options if o["value"] == outcome), None)
    if initial is not None:
        outcome_element["initial_option"] = initial
    date_element: dict[str, Any] = {"type": "datepicker", "action_id": ids.INPUT}
    if next_review is not None:
        date_element["initial_date"] = next_review.isoformat()
    blocks: list[Block] = [
        section(f"*{record.short_id}* · {cut(data.title, 500)}"),
        context("Post-review: decide whether to continue, adapt or stop, on the signals below."),
        section("*Success metrics*\n" + bullet_list(metrics)),
        section(
            f"*Reversal signal*\n{cut(data.reversal_signal, 1200)}\n*Stop conditions*\n{cut(data.stop_conditions, 1200)}"
        ),
        section("*Review triggers*\n" + (bullet_list(triggers) if triggers else "_none_")),
        *(scenarios or []),
        section(
            f"*Operating review*\n{cut(data.cadence_operating, 1000)}\n*Post-review*\n{cut(data.cadence_post, 1000)}"
        ),
        {
            "type": "input",
            "block_id": ids.OUTCOME,
            "label": plain_text("Outcome"),
            "element": outcome_element,
        },
        {
            "type": "input",
            "block_id": ids.NOTE,
            "label": plain_text("What the review found"),
            "optional": True,
            "element": {
                "type": "plain_text_input",
                "action_id": ids.INPUT,
                "multiline": True,
                "max_length": 3000,
            },
        },
        {
            "type": "input",
            "block_id": ids.NEXT_REVIEW,
            "label": plain_text("Next review (continue or adapt)"),
            "optional": True,
            "element": date_element,
            "hint": plain_text(f"Up to the horizon, {data.horizon.isoformat() if data.horizon else '?'}."),
        },
    ]
    return {
        "type": "modal",
        "callback_id": ids.REVIEW_MODAL,
        "title": plain_text(truncate(f"Review {record.short_id}", 24)),
        "submit": plain_text("Record review"),
        "close": plain_text("Cancel"),
        "private_metadata": record_metadata(record.id, channel, ts),
        "blocks": blocks,
    }


def reverse_modal(record: RecordSnapshot, *, channel: str | None = None, ts: str | None = None) -> View:
    blocks: list[Block] = [
        section(f"*{record.short_id}* · {cut(record.data.title, 500)}"),
        section(f"*Reversal signal recorded*\n{cut(record.data.reversal_signal, 2000)}"),
        {
            "type": "input",
            "block_id": ids.REASON,
            "label": plain_text("What happened that reverses it"),
            "element": {
                "type": "plain_text_input",
                "action_id": ids.INPUT,
                "multiline": True,
                "max_length": 3000,
            },
        },
    ]
    return {
        "type": "modal",
        "callback_id": ids.REVERSE_MODAL,
        "title": plain_text(truncate(f"Reverse {record.short_id}", 24)),
        "submit": plain_text("Reverse"),
        "close": plain_text("Cancel"),
        "private_metadata": record_metadata(record.id, channel, ts),
        "blocks": blocks,
    }


def notice_modal(title: str, text: str) -> View:
    """A modal that only says something (a refusal where there is no message to answer in)."""
    return {
        "type": "modal",
        "title": plain_text(truncate(title, 24)),
        "close": plain_text("Close"),
        "blocks": [section(text)],
    }
