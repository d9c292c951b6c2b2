"""Block Kit for review reminders (DM to the owner, post to the decisions channel) and for
review-trigger alerts. Mark reviewed and Open reuse the decision surface's action ids
(`decision_ids.MARK_REVIEWED`, `decision_ids.VIEW`), so its listeners handle them; Snooze is ours."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.decisions.record import OUTCOME_LABELS
from bot.reviews.reminders import ReviewDue
from bot.reviews.service import RefusalKind, Refused
from bot.reviews.triggers import TriggerFiring, format_value
from bot.text import truncate
from bot.views import decision_ids, reminder_ids
from bot.views.blocks import Block, Message, actions, button, context, fallback, section
from bot.views.format import escape_mrkdwn, local_time, mention, user_mention


def _owner(owner: str | None) -> str:
    return mention(owner) if owner else "no owner named"


def _mark_reviewed(decision_id: int) -> Block:
    # The decision surface's own control (same action id and option values as on the posted record),
    # so its listener records the review: option value "<decision id>:<outcome>".
    return {
        "type": "static_select",
        "action_id": decision_ids.MARK_REVIEWED,
        "placeholder": {"type": "plain_text", "text": "Mark reviewed…", "emoji": True},
        "options": [
            {"text": {"type": "plain_text", "text": label, "emoji": True}, "value": f"{decision_id}:{key}"}
            for key, label in OUTCOME_LABELS.items()
        ],
    }


def _decision_buttons(decision_id: int, *, snooze: bool) -> Block:
    value = str(decision_id)
    elements: list[Block] = [_mark_reviewed(decision_id)]
    if snooze:
        for choice, label in (("1d", "Snooze 1 day"), ("1w", "Snooze 1 week")):
            elements.append(button(label, f"{reminder_ids.SNOOZE}:{choice}", value))
    elements.append(button("Open", decision_ids.VIEW, value))
    return actions(elements, block_id=f"{reminder_ids.ACTIONS_BLOCK}:{decision_id}")


def _when(days_left: int) -> str:
    if days_left > 1:
        return f"in {days_left} days"
    if days_left == 1:
        return "tomorrow"
    if days_left == 0:
        return "*today*"
    return f"*{-days_left} day{'s' if days_left != -1 else ''} overdue*"


def reminder_message(due: ReviewDue, *, to_owner: bool) -> Message:
    """The reminder; the owner's DM speaks to them, the channel copy names them."""
    title = escape_mrkdwn(truncate(due.title, 200))
    when = _when(due.days_left)
    icon = ":alarm_clock:" if due.days_left < 0 else ":calendar:"
    if to_owner:
        lead = f"{icon} Your decision *{due.short_id}* · {title} is due for review {when}."
    else:
        lead = f"{icon} *{due.short_id}* · {title} is due for review {when} (owner {_owner(due.owner)})."
    blocks = [
        section(lead),
        context(f"Review date {due.review_date.isoformat()} · status {escape_mrkdwn(due.status)}"),
        _decision_buttons(due.decision_id, snooze=True),
    ]
    plain = f"{due.short_id} is due for review on {due.review_date.isoformat()}"
    return {"text": fallback(plain), "blocks": blocks}


def trigger_message(firing: TriggerFiring) -> Message:
    title = escape_mrkdwn(truncate(firing.title, 200))
    measured = format_value(firing.value, firing.metric)
    threshold = format_value(firing.threshold, firing.metric)
    blocks = [
        section(
            f":rotating_light: *Review trigger fired* for *{firing.short_id}* · {title}\n"
            f"{escape_mrkdwn(firing.description)}\n"
            f"Measured *{measured}* {escape_mrkdwn(firing.comparison)} threshold *{threshold}*"
        ),
        context(
            f"Owner {_owner(firing.owner)} · consider reviewing this decision now rather than on its date"
        ),
        _decision_buttons(firing.decision_id, snooze=False),
    ]
    plain = f"Review trigger fired for {firing.short_id}: measured {measured}, threshold {threshold}"
    return {"text": fallback(plain), "blocks": blocks}


def snoozed_message(original: list[Block], decision_id: int, user: str, until: datetime, tz: Any) -> Message:
    """The reminder after a snooze: buttons replaced by who snoozed it until when."""
    note = context(f":zzz: Snoozed by {user_mention(user)} until {local_time(until, tz)}")
    target = f"{reminder_ids.ACTIONS_BLOCK}:{decision_id}"
    blocks = [note if b.get("block_id") == target else b for b in original]
    if note not in blocks:
        blocks.append(note)
    return {"text": fallback(f"Review reminder snoozed until {until.date().isoformat()}"), "blocks": blocks}


def snooze_refused_message(refused: Refused) -> Message:
    """Told, ephemerally, to someone whose Snooze was refused."""
    if refused.reason == RefusalKind.NOT_OWNER:
        text = (
            f"Only the owner ({_owner(refused.owner)}) or a tierbot admin can snooze the review "
            f"reminders of *{refused.short_id}*. Nothing was changed."
        )
    else:
        text = f"There is no decision *{refused.short_id}*; nothing was snoozed."
    return {"text": fallback(text), "blocks": [section(text)]}
