"""Block Kit for quarterly reviews: the owner's reminder with its brief, the Mark held modal, the list
of overdue reviews (`/tier reviews`) and the App Home section."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.quarterly.service import DueReview, Held, Refused, ReviewBrief
from bot.text import truncate
from bot.views import quarterly_ids as ids
from bot.views.blocks import Block, Message, actions, button, context, fallback, header, section
from bot.views.format import escape_mrkdwn, mention

DAY = "%a %d %b %Y"
LISTED = 20


def _pct(v: float | None) -> str:
    return "n/a" if v is None else f"{v * 100:.1f}%"


def _due(review: DueReview, now: datetime) -> str:
    days = (review.due_at.date() - now.date()).days
    when = review.due_at.strftime(DAY)
    if days > 0:
        return f"due {when} (in {days} day{'s' if days != 1 else ''})"
    if days == 0:
        return f"due *today* ({when})"
    return f"*{-days} day{'s' if days != -1 else ''} overdue* (due {when})"


def mark_held_button(account_id: int) -> Block:
    return actions(
        [button("Mark held", ids.MARK_HELD, str(account_id), style="primary")],
        block_id=f"{ids.ACTIONS_BLOCK}:{account_id}",
    )


def reminder_message(brief: ReviewBrief, now: datetime) -> Message:
    r = brief.review
    name = escape_mrkdwn(r.account)
    health = "n/a" if brief.health_score is None else str(brief.health_score)
    if brief.health_history:
        values = [v for _, v in brief.health_history]
        arrow = "↑" if values[-1] > values[0] else "↓" if values[-1] < values[0] else "→"
        trend = (
            f"{' → '.join(str(v) for v in values)} {arrow} (now {health}; changes this quarter, oldest first)"
        )
    else:
        trend = f"{health} now (no change recorded this quarter)"
    decisions = [
        f"• D-{d.decision_id} {escape_mrkdwn(truncate(d.title, 120))} ({escape_mrkdwn(d.status)})"
        for d in brief.decisions
    ] or ["• none"]
    lines = [
        f"*SLA, last quarter* ({brief.tickets} tickets since {brief.since:%d %b}): first response "
        f"{_pct(brief.first_response_attainment)}, resolution {_pct(brief.resolution_attainment)}, "
        f"{brief.breaches} target{'s' if brief.breaches != 1 else ''} missed",
        f"*Open tickets*: {brief.open_tickets}",
        f"*Health*: {trend}",
        "*Decisions touching the account*:",
        *decisions,
    ]
    last = r.last_held_at.strftime(DAY) if r.last_held_at else "never"
    blocks = [
        header(f"Quarterly review: {truncate(r.account, 100)}"),
        section(
            f"The quarterly review of *{name}* ({escape_mrkdwn(r.tier)}) is {_due(r, now)}. Last held: {last}."
        ),
        section("\n".join(lines)),
        mark_held_button(r.account_id),
        context("*Mark held* records the review with a note and schedules the next one a quarter later."),
    ]
    return {"text": fallback(f"Quarterly review of {name} {_due(r, now)}"), "blocks": blocks}


def channel_reminder_message(brief: ReviewBrief, now: datetime) -> Message:
    """The reminder posted in the account's (or its tier's) channel when its owner cannot be DMed:
    it names the owner as the account has it, so someone there can pass it on."""
    owner = brief.review.owner
    if not owner:
        why = "The account names no owner to DM, so this reminder is posted here."
    else:
        how = "no Slack user has that e-mail" if "@" in owner else "a name, not a Slack user or an e-mail"
        why = (
            f"tierbot could not find the account owner, *{escape_mrkdwn(owner)}*, in Slack ({how}) "
            "to send this as a DM, so it is posted here."
        )
    message = reminder_message(brief, now)
    message["blocks"].insert(1, context(why + " Update the owner in the CRM or the accounts CSV."))
    return message


def held_modal(account_id: int, account: str) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": ids.HELD_MODAL,
        "private_metadata": str(account_id),
        "title": {"type": "plain_text", "text": "Quarterly review"},
        "submit": {"type": "plain_text", "text": "Mark held"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            section(
                f"Record the quarterly review of *{escape_mrkdwn(truncate(account, 200))}* as held today."
            ),
            {
                "type": "input",
                "block_id": ids.NOTE_BLOCK,
                "optional": True,
                "label": {"type": "plain_text", "text": "Note"},
                "element": {
                    "type": "plain_text_input",
                    "action_id": ids.NOTE_INPUT,
                    "multiline": True,
                    "max_length": 3000,
                },
            },
        ],
    }


def held_text(result: Held | Refused) -> str:
    if isinstance(result, Refused):
        return "This account has no quarterly review (its tier does not include one). Nothing was recorded."
    return (
        f":white_check_mark: Quarterly review of *{escape_mrkdwn(result.account)}* recorded as held by "
        f"{mention(result.held_by)}. Next one due {result.next_due_at.strftime(DAY)}."
    )


def _lines(reviews: list[DueReview], now: datetime) -> list[str]:
    return [
        f"• *{escape_mrkdwn(r.account)}* ({escape_mrkdwn(r.tier)}) · {_due(r, now)} · owner "
        f"{mention(r.owner) if r.owner else 'none'}"
        for r in reviews[:LISTED]
    ]


def overdue_message(reviews: list[DueReview], total: int, now: datetime) -> Message:
    if not total:
        return {
            "text": "No quarterly review is overdue.",
            "blocks": [section("No quarterly review is overdue.")],
        }
    blocks: list[Block] = [
        section(f"*Overdue quarterly reviews* · {total}\n" + "\n".join(_lines(reviews, now)))
    ]
    if total > LISTED:
        blocks.append(context(f"… and {total - LISTED} more."))
    blocks.append(context("Each owner got a reminder with *Mark held*."))
    return {"text": fallback(f"{total} overdue quarterly reviews"), "blocks": blocks}


def home_blocks(reviews: list[DueReview], total: int, now: datetime) -> list[Block]:
    """The App Home's section: overdue quarterly reviews (nothing when none)."""
    if not total:
        return []
    blocks: list[Block] = [
        section(f"*Overdue quarterly reviews* · {total}\n" + "\n".join(_lines(reviews, now)))
    ]
    if total > LISTED:
        blocks.append(context(f"More: `/tier reviews` ({total} in all)"))
    return blocks
