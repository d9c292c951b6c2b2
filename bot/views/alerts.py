"""Block Kit for SLA alert steps, escalation levels and health drops, and the "acknowledged by" update.

Each alert is one message: what happened (which target, how long left or how far over), the ticket's
severity, subject, assignee and, from the breach on, the account owner; then *Acknowledge*, *Snooze*
and a link to the ticket. Acknowledging replaces the buttons with who acknowledged it, for the channel.
"""

from __future__ import annotations

from datetime import datetime, tzinfo

from bot.alerts.health import DropKind, HealthDrop
from bot.alerts.model import AckResult, DueStep, StepKind
from bot.policy.model import SEVERITY_LABELS, Notify
from bot.sla.clock import Metric
from bot.views import alert_ids
from bot.views.blocks import Block, Message, actions, button, context, fallback, fields_section, section
from bot.views.format import (
    channel_mention,
    duration,
    escape_mrkdwn,
    local_time,
    mention,
    user_mention,
    usergroup_mention,
)

SNOOZE_LABELS = {"1h": "Snooze 1 hour", "4h": "Snooze 4 hours", "tomorrow": "Snooze until tomorrow"}
TARGET_NAMES: dict[str, str] = {Metric.FIRST_RESPONSE: "First response", Metric.RESOLUTION: "Resolution"}


def target_name(target: str) -> str:
    return TARGET_NAMES.get(target, target)


def notify_mentions(notify: Notify) -> str:
    if notify.kind == "usergroup":
        return usergroup_mention(notify.ids[0])
    if notify.kind == "channel":
        return channel_mention(notify.ids[0])
    return " ".join(user_mention(u) for u in notify.ids)


def _person(slack_user: str | None, written: str | None) -> str:
    if slack_user:
        return user_mention(slack_user)
    return mention(written) if written else "_nobody_"


def headline(step: DueStep) -> str:
    what = f"*{target_name(step.target)}* of `{escape_mrkdwn(step.ticket_id)}`"
    account = f"{escape_mrkdwn(step.account_name)} ({escape_mrkdwn(step.tier.title())})"
    if step.minutes_left > 0:
        return (
            f":large_orange_circle: {what} is due in *{duration(step.minutes_left, days=False)}* · {account}"
        )
    if step.minutes_left == 0:
        return f":red_circle: {what} is due *now* · {account}"
    over = duration(-step.minutes_left, days=False)
    if step.kind is StepKind.ESCALATION:
        return f":sos: {what} is *{over} over* its target and nobody has acknowledged it · {account}"
    return f":red_circle: {what} breached: *{over} over* its target · {account}"


def _snooze_select(value: str) -> Block:
    return {
        "type": "static_select",
        "action_id": alert_ids.SNOOZE,
        "placeholder": {"type": "plain_text", "text": "Snooze…", "emoji": True},
        "options": [
            {
                "text": {"type": "plain_text", "text": SNOOZE_LABELS[c], "emoji": True},
                "value": f"{value}|{c}",
            }
            for c in alert_ids.SNOOZE_CHOICES
        ],
    }


def actions_block_id(ticket_id: str, target: str) -> str:
    return f"{alert_ids.ACTIONS_BLOCK}:{ticket_id}:{target}"


def step_message(
    step: DueStep,
    *,
    assignee_user: str | None = None,
    owner_user: str | None = None,
    ticket_url: str | None = None,
    tz: tzinfo | None = None,
) -> Message:
    """One alert step or escalation level. `*_user` are Slack user ids when the e-mail was resolved."""
    lines = [headline(step)]
    if step.kind is StepKind.ESCALATION and step.notify is not None:
        lines.append(f"Escalation level {step.level}: {notify_mentions(step.notify)}")
    fields = [
        f"*Severity*\n{SEVERITY_LABELS.get(step.severity, escape_mrkdwn(step.severity))}",
        f"*Subject*\n{escape_mrkdwn(step.subject) or '—'}",
        f"*Assignee*\n{_person(assignee_user, step.assignee)}",
        f"*Step*\n{_step_text(step)} · reached {local_time(step.due_at, tz)}",
    ]
    if step.owner is not None or owner_user is not None:
        fields.append(f"*Account owner*\n{_person(owner_user, step.owner)}")
    value = f"{step.ticket_id}|{step.target}"
    controls: list[Block] = [
        button("Acknowledge", alert_ids.ACK, value, style="primary"),
        _snooze_select(value),
    ]
    if ticket_url:
        controls.append(
            {
                "type": "button",
                "text": {"type": "plain_text", "text": "Open ticket", "emoji": True},
                "action_id": alert_ids.OPEN,
                "url": ticket_url[:3000],
            }
        )
    blocks = [section("\n".join(lines)), fields_section(fields)]
    if step.late:
        blocks.append(
            context(
                f":hourglass: Posted {duration(step.late_minutes)} late: tierbot was not running when it came due."
            )
        )
    blocks.append(actions(controls, block_id=actions_block_id(step.ticket_id, step.target)))
    return {"text": fallback(_plain(step)), "blocks": blocks}


def _step_text(step: DueStep) -> str:
    target = duration(step.target_minutes, days=False)
    if step.kind is StepKind.ESCALATION:
        return f"level {step.level}, {duration(step.offset_minutes)} after the {target} target"
    return f"`{step.step}` of the {target} target"


def _plain(step: DueStep) -> str:
    left = step.minutes_left
    where = (
        f"{target_name(step.target)} of {escape_mrkdwn(step.ticket_id)} ({escape_mrkdwn(step.account_name)})"
    )
    if left > 0:
        return f"{where} is due in {duration(left, days=False)}"
    if step.kind is StepKind.ESCALATION:
        return f"Escalation level {step.level}: {where} is {duration(-left, days=False)} over, unacknowledged"
    return f"{where} is {duration(-left, days=False)} over its target"


def status_block(ack: AckResult, now: datetime, tz: tzinfo | None = None) -> Block | None:
    """What replaces the buttons: "acknowledged by @ana" (or snoozed until ...), for the channel."""
    block_id = actions_block_id(ack.ticket_id, ack.target)
    if ack.acked_by:
        text = f":white_check_mark: Acknowledged by {user_mention(ack.acked_by)}"
        if ack.acked_at:
            text += f" · {local_time(ack.acked_at, tz)}"
        return context(text) | {"block_id": block_id}
    if ack.snoozed_until and ack.snoozed_until > now:
        who = f" by {user_mention(ack.snoozed_by)}" if ack.snoozed_by else ""
        return context(f":zzz: Snoozed{who} until {local_time(ack.snoozed_until, tz)}") | {
            "block_id": block_id
        }
    return None


def replace_status(blocks: list[Block], status: Block) -> tuple[list[Block], bool]:
    """A posted alert's blocks with its actions replaced by `status` (same block id)."""
    out: list[Block] = []
    found = False
    for block in blocks:
        if block.get("block_id") == status.get("block_id"):
            out.append(status)
            found = True
        else:
            out.append(block)
    return out, found


def health_message(drop: HealthDrop, *, owner_user: str | None = None) -> Message:
    name = escape_mrkdwn(drop.account_name)
    if drop.kind is DropKind.BELOW_FLOOR:
        line = f":chart_with_downwards_trend: *{name}*'s health score is *{drop.value}*, below the floor of {drop.floor}."
    else:
        line = (
            f":chart_with_downwards_trend: *{name}*'s health score fell from {drop.peak} to *{drop.value}* "
            f"({drop.peak - drop.value} points within {drop.drop_days} days)."
        )
    fields = [f"*Tier*\n{escape_mrkdwn(drop.tier.title())}", f"*Owner*\n{_person(owner_user, drop.owner)}"]
    text = f"{name}: health score {drop.value}"
    return {
        "text": fallback(text),
        "blocks": [section(line), fields_section(fields), context("Reach out before the customer feels it.")],
    }
