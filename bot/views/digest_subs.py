"""Block Kit for `/digest`: usage, subscription confirmations, refusals, the list of subscriptions,
and the DM a subscriber gets when their channel refuses the digest."""

from __future__ import annotations

from bot.digest.periods import HOURLY, WEEKLY, Cadence, CadenceRefusal, Occurrence, Problem
from bot.digest.service import Listed, RefusalKind, Refused, Subscribed, Subscription, Unsubscribed
from bot.policy.model import WEEKDAYS
from bot.text import truncate
from bot.views.blocks import Message, bullet_list, context, fallback, section
from bot.views.format import escape_mrkdwn, local_time, user_mention

USAGE = (
    "*`/digest subscribe [#channel] daily 09:00 [tiers ...] [tz=Europe/Paris] [skip-holidays=US]`*\n"
    "Posts the SLA digest (breached and at-risk tickets, SLA attainment per tier and how it moved) "
    "to the channel, in the channel's time zone. Instead of `daily 09:00`: `weekly mon 09:00`, or "
    "`hourly` during business hours. With no channel, the one you are in; with no tiers, all of them. "
    "Subscribing again replaces the channel's schedule.\n"
    "*`/digest list`* the subscriptions of channels you are in, and their next post · "
    "*`/digest unsubscribe [#channel]`* stops one · *`/digest help`* this text.\n"
    "Breached top-tier tickets carry *Acknowledge* and *Snooze*; unacknowledged ones are posted again."
)


def help_message() -> Message:
    return {"text": "How to use /digest", "blocks": [section(USAGE)]}


def notice(text: str) -> Message:
    """One line, already escaped where needed."""
    return {"text": fallback(text), "blocks": [section(text)]}


def describe_cadence(cadence: Cadence) -> str:
    """'daily at 09:00 (Europe/Paris), skipping FR public holidays' (plain text)."""
    if cadence.kind == HOURLY:
        text = "hourly during business hours"
    elif cadence.kind == WEEKLY and cadence.weekday is not None:
        text = f"weekly on {WEEKDAYS[cadence.weekday].capitalize()} at {cadence.at_time}"
    else:
        text = f"daily at {cadence.at_time}"
    text += f" ({cadence.tz})"
    if cadence.skip_holidays:
        text += f", skipping {cadence.skip_holidays} public holidays"
    return text


def describe(sub: Subscription) -> str:
    """A subscription in one plain line: its cadence and its tiers."""
    tiers = ", ".join(sub.tiers) if sub.tiers else "all tiers"
    return f"{describe_cadence(sub.cadence)} · {tiers}"


def _when(sub: Subscription, nxt: Occurrence | None) -> str:
    return local_time(nxt.at, sub.cadence.zone) if nxt is not None else "—"


def _quote(text: str) -> str:
    """User text echoed back in a refusal: escaped (no <!channel> or links) and cut short."""
    return escape_mrkdwn(truncate(text, 60))


# `{value}` is what the person typed (escaped and cut short), `{options}` the valid choices.
_REFUSALS: dict[Problem, str] = {
    Problem.BAD_ZONE: "`{value}` is not an IANA time zone (like Europe/Paris or America/New_York).",
    Problem.BAD_TIME: "`{value}` is not a time; write it as HH:MM, like 09:00.",
    Problem.BAD_TIME_OF_DAY: "`{value}` is not a time of day.",
    Problem.BAD_WEEKDAY: "`{value}` is not a weekday; use mon, tue, wed, thu, fri, sat or sun.",
    Problem.NO_HOLIDAY_CALENDAR: "No public-holiday calendar for `{value}`; use a country code like US or FR.",
    Problem.CHANNEL_NAME: (
        "I can only use a channel link: type `#` and pick *{value}* from the list, so that Slack "
        "sends me its id (or run the command inside that channel)."
    ),
    Problem.TWO_CADENCES: "Give one cadence: `daily HH:MM`, `weekly DAY HH:MM` or `hourly`.",
    Problem.NO_WEEKDAY: "Say which day: `weekly mon 09:00`.",
    Problem.HOURLY_WITH_TIME: "`hourly` takes no time: it posts on the hour during business hours.",
    Problem.TIME_MISPLACED: "`{value}`: put the time right after the cadence, like `daily {value}`.",
    Problem.UNKNOWN_WORD: "I don't understand `{value}`. Tiers are {options}; see `/digest help`.",
    Problem.NO_CADENCE: "Say how often: `daily 09:00`, `weekly mon 09:00` or `hourly`.",
}


def refusal_text(refusal: CadenceRefusal) -> str:
    """Why a schedule was refused, in a sentence for the person who typed it."""
    return _REFUSALS[refusal.problem].format(value=_quote(refusal.value), options=", ".join(refusal.options))


def refused_message(refusal: CadenceRefusal) -> Message:
    return notice(f"{refusal_text(refusal)} Nothing was changed.")


# `{channel}` is a channel mention, `{ticket}` the ticket id as pressed (escaped, cut short).
_ACCESS: dict[RefusalKind, str] = {
    RefusalKind.NOT_MEMBER: (
        "Only members of {channel} (or a tierbot admin) can change its SLA digest, and you are not in it."
    ),
    RefusalKind.CHANNEL_HIDDEN: (
        "I cannot see who is in {channel}: it is private and I am not in it, or it no longer exists. "
        "Invite me with `/invite @tierbot` there, or ask a tierbot admin."
    ),
    RefusalKind.SLACK_UNAVAILABLE: (
        "Slack did not tell me in time who is in {channel}, so I cannot check that you may do this; "
        "try again in a minute."
    ),
    RefusalKind.NO_DIGEST: "This channel has no SLA digest, so I cannot take that button here.",
    RefusalKind.NOT_IN_DIGEST: (
        "`{ticket}` was not in this channel's latest SLA digest; use the buttons on that digest."
    ),
    RefusalKind.NO_TICKET: "There is no ticket `{ticket}`.",
}


def access_refused_message(refused: Refused) -> Message:
    """Why a /digest change or a breach button was refused: one line, and that nothing changed."""
    channel = f"<#{refused.channel}>" if refused.channel else "that channel"
    text = _ACCESS[refused.reason].format(channel=channel, ticket=_quote(refused.ticket_id))
    return notice(f"{text} Nothing was changed.")


def list_refused_message(refused: Refused) -> Message:
    """`/digest list` when Slack could not say which channels the user is in."""
    return notice(
        "Slack did not tell me in time which channels you are in, so I cannot list their SLA digests; "
        "try again in a minute."
    )


def _next(nxt: Occurrence | None, when: str) -> str:
    return (
        f"Next: *{when}*." if nxt is not None else "No period falls within the next year with these settings."
    )


def subscribed_message(result: Subscribed) -> Message:
    sub, nxt, replaced = result.subscription, result.next, result.replaced
    channel, description, when = sub.channel, describe(sub), _when(sub, nxt)
    verb = "Changed the SLA digest of" if replaced else "Subscribed"
    text = f":white_check_mark: {verb} <#{channel}>{'' if replaced else ' to the SLA digest'}: {escape_mrkdwn(description)}."
    blocks = [section(text), context(_next(nxt, when) + " `/digest unsubscribe` stops it.")]
    return {"text": fallback(f"SLA digest: {escape_mrkdwn(description)}"), "blocks": blocks}


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


def unsubscribed_message(result: Unsubscribed) -> Message:
    if result.stopped:
        return notice(f"<#{result.channel}> will get no more SLA digests.")
    return notice(f"<#{result.channel}> is not subscribed to the SLA digest; nothing changed.")


def list_message(listed: list[Listed], *, everyone: bool = True) -> Message:
    """The subscriptions listed; `everyone` False: only those of the channels the user is in."""
    lines = [
        f"<#{item.subscription.channel}> · {escape_mrkdwn(describe(item.subscription))}"
        f" · by {user_mention(item.subscription.created_by)}"
        f" · next {_when(item.subscription, item.next)}"
        for item in listed
    ]
    if not lines:
        which = "No channel" if everyone else "No channel you are in"
        return notice(
            f"{which} is subscribed to the SLA digest. `/digest subscribe daily 09:00` starts one here."
        )
    head = f"*SLA digest subscriptions ({len(lines)})*"
    return {
        "text": fallback(f"{len(lines)} SLA digest subscription(s)"),
        "blocks": [section(head + "\n" + bullet_list(lines, 2900))],
    }


_GONE_REASONS = {
    "not_in_channel": "I am not a member of that channel",
    "channel_not_found": "I cannot see that channel (it is private or was deleted)",
    "is_archived": "the channel is archived",
}


def channel_gone_message(channel: str, error: str) -> Message:
    """The DM to the subscriber when Slack refuses their channel's digest for good."""
    code = error.split(":", 1)[0]
    why = _GONE_REASONS.get(code, escape_mrkdwn(code))
    text = (
        f":warning: I could not post the SLA digest you subscribed <#{channel}> to: {why} (`{code}`).\n"
        f"Invite me with `/invite @tierbot` in <#{channel}>, or stop it with `/digest unsubscribe <#{channel}>`."
        " I will not DM you about this again until a digest gets through."
    )
    return {
        "text": fallback(f"Could not post the SLA digest to the channel: {code}"),
        "blocks": [section(text)],
    }
