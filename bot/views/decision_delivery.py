"""What a decision's ledger row sends (the record, its update, a notice to its author), rendered at send
time, and the short answers its author gets about a post (`bot.decisions.delivery`)."""

from __future__ import annotations

from datetime import date
from typing import Any

from bot.decisions.delivery import Item, Kind
from bot.policy.model import Policy
from bot.views.decision_record import notice_message, record_message
from bot.views.format import escape_mrkdwn, user_mention


def place(where: str | None) -> str:
    """A channel, or a person's DM, as Slack links them."""
    if not where:
        return "Slack"
    if where.startswith("dm:") or where[:1] in ("U", "W"):
        return f"{user_mention(where.removeprefix('dm:'))}'s DM"
    return f"<#{escape_mrkdwn(where)}>"


def repost_hint(short_id: str) -> str:
    return f"When that is fixed, run `tierbot decisions repost {short_id}` to post it again."


def delivery_payload(item: Item, policy: Policy, today: date) -> dict[str, Any]:
    """A ledger payload (`bot.schedule.poster`): where, the message, and `ts` for an edit."""
    sid = item.record.short_id
    if item.kind in (Kind.POST, Kind.UPDATE):
        message = record_message(item.record, policy, today)
    elif item.kind is Kind.LATE:
        message = notice_message(
            f"{sid} is posted in {place(item.where)} now (Slack did not take it at first)."
        )
    else:
        message = notice_message(
            f":warning: {sid} is saved, but tierbot could not post it in {place(item.where)}: "
            f"{escape_mrkdwn(item.error or 'Slack refused it')}. {repost_hint(sid)} "
            f"Meanwhile `/decision show {sid}` shows it."
        )
    return {"channel": item.channel, "user": item.user, "ts": item.ts, "message": message}


def posted_text(short_id: str, where: str | None) -> str:
    return f"{short_id} is recorded and posted in {place(where)}."


def pending_text(short_id: str, error: str | None) -> str:
    return (
        f"{short_id} is recorded. Slack did not take its post yet ({escape_mrkdwn(error or 'no answer')}); "
        "tierbot keeps trying and will tell you when it is posted."
    )


def failed_text(short_id: str, where: str | None, error: str | None) -> str:
    return (
        f":warning: {short_id} is recorded, but tierbot could not post it in {place(where)}: "
        f"{escape_mrkdwn(error or 'Slack refused it')}. {repost_hint(short_id)}"
    )
