"""Block Kit for the scheduled SLA digest and the re-post of unacknowledged top-tier breaches.

Slack caps a message at 50 blocks and a section at 3000 characters: ordinary lines share sections,
each top-tier breach takes two blocks (its line and its Acknowledge/Snooze actions), and whatever
does not fit is counted in the closing "and N more" line.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from bot.digest.acks import AckState
from bot.digest.model import Digest, DigestItem, TierMovement
from bot.policy.model import SEVERITY_LABELS, Policy
from bot.sla.clock import Metric
from bot.text import truncate
from bot.views import digest_ids
from bot.views.blocks import (
    MESSAGE_BLOCKS_MAX,
    SECTION_TEXT_MAX,
    STATE_ICON,
    Block,
    Message,
    actions,
    button,
    context,
    divider,
    fallback,
    fields_section,
    header,
    section,
)
from bot.views.format import duration, escape_mrkdwn, local_time, user_mention
from bot.views.tickets import due_text

SNOOZE_LABELS = {"1h": "Snooze 1 hour", "4h": "Snooze 4 hours", "tomorrow": "Snooze until tomorrow"}
_RESERVED = 2  # blocks kept free for the closing context lines


def _arrow(delta: float | None, unit: str = "", better_up: bool = True) -> str:
    if delta is None:
        return ""
    if abs(delta) < 0.05:
        return " →"
    up = delta > 0
    icon = "↑" if up else "↓"
    value = f"{abs(delta):.1f}" if isinstance(delta, float) else str(abs(delta))
    flag = "" if up == better_up else " :warning:"
    return f" {icon}{value}{unit}{flag}"


def _tier_field(policy: Policy, move: TierMovement) -> str:
    att = "n/a" if move.attainment is None else f"{move.attainment:.1f}%"
    lines = [
        f"*{escape_mrkdwn(policy.tier_name(move.tier))}*",
        f"SLA met {att}{_arrow(move.attainment_delta, ' pts')}",
        f"{move.breached} breached{_arrow(move.breached_delta, better_up=False)}"
        f" · {move.at_risk} at risk{_arrow(move.at_risk_delta, better_up=False)}",
    ]
    return "\n".join(lines)


def item_line(item: DigestItem, policy: Policy) -> str:
    due = due_text(Metric(item.metric), item.minutes_left, item.paused)
    severity = SEVERITY_LABELS.get(item.severity, item.severity).split(" · ")[0]
    return (
        f"{STATE_ICON.get(item.state, '')} *{escape_mrkdwn(truncate(item.account_name, 80))}* "
        f"({escape_mrkdwn(policy.tier_name(item.tier))}) · `{escape_mrkdwn(item.ticket_id)}` "
        f"{escape_mrkdwn(truncate(item.subject, 100))} · {severity} · {due}"
    )


def _snooze_select(ticket_id: str) -> Block:
    return {
        "type": "static_select",
        "action_id": digest_ids.SNOOZE,
        "placeholder": {"type": "plain_text", "text": "Snooze…", "emoji": True},
        "options": [
            {
                "text": {"type": "plain_text", "text": SNOOZE_LABELS[c], "emoji": True},
                "value": f"{ticket_id}|{c}",
            }
            for c in digest_ids.SNOOZE_CHOICES
        ],
    }


def _stamp(at: datetime | None, tz: Any) -> str:
    return local_time(at, tz)


def ack_status_block(ticket_id: str, state: AckState, now: datetime, tz: Any = None) -> Block | None:
    """The context that replaces a breach's buttons once it is acknowledged (or while snoozed)."""
    block_id = f"{digest_ids.BREACH_BLOCK}:{ticket_id}"
    if state.acked_by:
        text = f":white_check_mark: Acknowledged by {user_mention(state.acked_by)}"
        if state.acked_at:
            text += f" · {_stamp(state.acked_at, tz)}"
        return context(text) | {"block_id": block_id}
    if state.snoozed_until and state.snoozed_until > now:
        who = f" by {user_mention(state.snoozed_by)}" if state.snoozed_by else ""
        return context(f":zzz: Snoozed{who} until {_stamp(state.snoozed_until, tz)}") | {"block_id": block_id}
    return None


def breach_blocks(
    item: DigestItem, policy: Policy, state: AckState | None, now: datetime, tz: Any = None
) -> list[Block]:
    """A top-tier breach: its line, then Acknowledge and Snooze (or who acknowledged it)."""
    line = section(item_line(item, policy), block_id=f"{digest_ids.BREACH_LINE}:{item.ticket_id}")
    status = ack_status_block(item.ticket_id, state, now, tz) if state else None
    if status is not None:
        return [line, status]
    controls = actions(
        [
            button("Acknowledge", digest_ids.ACK, item.ticket_id, style="primary"),
            _snooze_select(item.ticket_id),
        ],
        block_id=f"{digest_ids.BREACH_BLOCK}:{item.ticket_id}",
    )
    return [line, controls]


def _pack_lines(lines: list[str]) -> list[Block]:
    """Consecutive plain lines share sections of at most 3000 characters."""
    blocks: list[Block] = []
    chunk: list[str] = []
    for line in lines:
        if chunk and len("\n".join([*chunk, line])) > SECTION_TEXT_MAX:
            blocks.append(section("\n".join(chunk)))
            chunk = []
        chunk.append(line)
    if chunk:
        blocks.append(section("\n".join(chunk)))
    return blocks


def _is_actionable(item: DigestItem, top_tier: str) -> bool:
    return item.state == "breached" and item.tier == top_tier


def _items_blocks(
    items: list[DigestItem],
    policy: Policy,
    top_tier: str,
    acks: Mapping[str, AckState],
    now: datetime,
    tz: Any,
    budget: int,
) -> tuple[list[Block], int]:
    """Blocks for the ranked items within `budget` blocks; returns them and how many were left out."""
    blocks: list[Block] = []
    pending: list[str] = []

    def flush() -> None:
        blocks.extend(_pack_lines(pending))
        pending.clear()

    for shown, item in enumerate(items):
        if _is_actionable(item, top_tier):
            # Two blocks for this breach, plus one for the lines waiting before it.
            if len(blocks) + (1 if pending else 0) + 2 > budget:
                flush()
                return blocks, len(items) - shown
            flush()
            blocks.extend(breach_blocks(item, policy, acks.get(item.ticket_id), now, tz))
        else:
            if len(blocks) + 1 > budget:
                return blocks, len(items) - shown
            pending.append(item_line(item, policy))
            if len(blocks) + len(_pack_lines(pending)) > budget:
                pending.pop()
                flush()
                return blocks, len(items) - shown
    flush()
    return blocks, 0


def digest_message(
    digest: Digest,
    policy: Policy,
    *,
    title_when: str,
    acks: Mapping[str, AckState] | None = None,
    tz: Any = None,
) -> Message:
    """The digest as posted; `title_when` is the period's local time ("Mon 23 Nov 09:00 CET")."""
    acks = acks or {}
    now = digest.generated_at
    blocks: list[Block] = [header(f"SLA digest · {title_when}")]
    fields = [_tier_field(policy, digest.movement[t]) for t in digest.tiers if t in digest.movement]
    if fields:
        blocks.append(fields_section(fields))
    covered = ", ".join(escape_mrkdwn(policy.tier_name(t)) for t in digest.tiers) or "no tiers"
    blocks.append(
        context(
            f"*{digest.breached_total}* breached · *{digest.at_risk_total}* at risk · {covered} · "
            f"SLA met over the last {digest.window_days} days; arrows compare with the previous digest"
        )
    )
    blocks.append(divider())
    if digest.empty:
        blocks.append(section(":white_check_mark: No breached or at-risk tickets right now."))
        return {"text": fallback(f"SLA digest · {title_when}: all clear"), "blocks": blocks}

    budget = MESSAGE_BLOCKS_MAX - len(blocks) - _RESERVED
    top = digest.enterprise_tier or policy.tiers[0].key
    item_blocks, left_out = _items_blocks(digest.items, policy, top, acks, now, tz, budget)
    blocks.extend(item_blocks)
    more = digest.more_count + left_out
    if more:
        blocks.append(context(f"and {more} more — run `{digest.show_command}` to see them all"))
    text = f"SLA digest · {title_when}: {digest.breached_total} breached, {digest.at_risk_total} at risk"
    return {"text": fallback(text), "blocks": blocks}


def breach_repost_message(
    items: list[DigestItem],
    policy: Policy,
    *,
    interval_minutes: int,
    now: datetime,
    tz: Any = None,
    more: int = 0,
) -> Message:
    """Top-tier breaches nobody acknowledged yet, posted again once per interval."""
    top = policy.tier_name(items[0].tier) if items else policy.tier_name(policy.tiers[0].key)
    noun = "breach" if len(items) == 1 else "breaches"
    blocks: list[Block] = [
        section(
            f":rotating_light: *{len(items) + more} unacknowledged {escape_mrkdwn(top)} SLA {noun}* — "
            "acknowledge to stop these reminders, or snooze them."
        )
    ]
    budget = MESSAGE_BLOCKS_MAX - len(blocks) - _RESERVED
    item_blocks, left_out = _items_blocks(items, policy, items[0].tier if items else "", {}, now, tz, budget)
    blocks.extend(item_blocks)
    if more + left_out:
        blocks.append(context(f"and {more + left_out} more — run `tierbot digest show` to see them all"))
    blocks.append(context(f"Re-posted every {duration(interval_minutes)} until acknowledged."))
    text = f"{len(items) + more} unacknowledged {escape_mrkdwn(top)} SLA {noun}"
    return {"text": fallback(text), "blocks": blocks}


def replace_breach_status(blocks: list[Block], ticket_id: str, status: Block) -> tuple[list[Block], bool]:
    """A copy of a posted message's blocks with one breach's actions replaced by `status`."""
    target = f"{digest_ids.BREACH_BLOCK}:{ticket_id}"
    out: list[Block] = []
    found = False
    for block in blocks:
        if block.get("block_id") == target:
            out.append(status)
            found = True
        else:
            out.append(block)
    return out, found
