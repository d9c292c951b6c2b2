"""Block Kit for `/digest`: usage, subscription confirmations and the list of subscriptions."""

from __future__ import annotations

from bot.schedule.periods import Occurrence
from bot.text import escape_mrkdwn
from bot.views.blocks import Message, bullet_list, context, fallback, section

USAGE = (
    "*`/digest subscribe [#channel] daily 09:00 [tiers ...] [tz=Europe/Paris] [skip-holidays=US]`*\n"
    "Posts the SLA digest (breached and at-risk tickets, SLA attainment per tier and how it moved) "
    "to the channel, in the channel's time zone. Instead of `daily 09:00`: `weekly mon 09:00`, or "
    "`hourly` during business hours. With no channel, the one you are in; with no tiers, all of them. "
    "Subscribing again replaces the channel's schedule.\n"
    "*`/digest list`* every subscription and its next post · "
    "*`/digest unsubscribe [#channel]`* stops one · *`/digest help`* this text.\n"
    "Breached top-tier tickets carry *Acknowledge* and *Snooze*; unacknowledged ones are posted again."
)


def help_message() -> Message:
    return {"text": "How to use /digest", "blocks": [section(USAGE)]}


def notice(text: str) -> Message:
    """One line, already escaped where needed."""
    return {"text": fallback(text), "blocks": [section(text)]}


def _next(nxt: Occurrence | None, when: str) -> str:
    return (
        f"Next: *{when}*." if nxt is not None else "No period falls within the next year with these settings."
    )


def subscribed_message(
    channel: str, description: str, nxt: Occurrence | None, when: str, replaced: bool
) -> Message:
    verb = "Changed the SLA digest of" if replaced else "Subscribed"
    text = f":white_check_mark: {verb} <#{channel}>{'' if replaced else ' to the SLA digest'}: {escape_mrkdwn(description)}."
    blocks = [section(text), context(_next(nxt, when) + " `/digest unsubscribe` stops it.")]
    return {"text": fallback(f"SLA digest: {description}"), "blocks": blocks}


def not_member_message(channel: str, error: str | None = None, *, public: bool = False) -> Message:
    """Told to the subscriber when the bot may not be able to post to the channel."""
    if public:
        # With chat:write.public the bot can post to a public channel it is not in; if the workspace
        # did not grant that scope, the first post fails and the subscriber gets a DM then.
        text = (
            f":information_source: I am not a member of <#{channel}>. I can post to public channels "
            f"when the app has the `chat:write.public` scope; to be sure, `/invite @tierbot` in <#{channel}>."
        )
        return {"text": fallback("tierbot is not a member of that channel"), "blocks": [section(text)]}
    why = (
        f"I cannot see <#{channel}> (`{escape_mrkdwn(error)}`)"
        if error
        else f"I am not a member of <#{channel}>"
    )
    text = (
        f":warning: {why}, so the digest cannot be posted there yet. "
        f"Invite me with `/invite @tierbot` in <#{channel}>; the subscription is kept and starts working "
        "as soon as I am in."
    )
    return {"text": fallback("tierbot cannot post to that channel yet"), "blocks": [section(text)]}


def list_message(lines: list[str]) -> Message:
    if not lines:
        return notice(
            "No channel is subscribed to the SLA digest. `/digest subscribe daily 09:00` starts one here."
        )
    head = f"*SLA digest subscriptions ({len(lines)})*"
    return {
        "text": fallback(f"{len(lines)} SLA digest subscription(s)"),
        "blocks": [section(head + "\n" + bullet_list(lines, 2900))],
    }
