"""Every piece of Slack formatting in one place: mentions, mrkdwn escaping, dates, durations, money.

Domain code returns plain values (a user id, a datetime, minutes, a Decimal); views turn them into
what Slack shows with these functions, so a format changes in one line.
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from decimal import Decimal

from bot.policy.amounts import dollars

# "Mon 07 Dec 09:00 CET": weekday and time first, because a support lead reads a deadline as "when".
LOCAL_TIME_FORMAT = "%a %d %b %H:%M %Z"


def escape_mrkdwn(text: str) -> str:
    """Neutralise Slack control sequences (<!channel>, <@U1>, links) in text we did not write."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def mention(user: str) -> str:
    """A user mention when we hold a Slack user id, else the (escaped) name or e-mail as written."""
    if user[:1] in ("U", "W") and user.isalnum() and user.isupper():
        return f"<@{user}>"
    return escape_mrkdwn(user)


# Where an account's data or a linked record comes from (`accounts.source`, a link's source).
SOURCE_NAMES = {"zendesk": "Zendesk", "hubspot": "HubSpot", "salesforce": "Salesforce"}


def source_name(source: str) -> str:
    """'HubSpot' for "hubspot"; a source without a name here as stored, escaped."""
    return SOURCE_NAMES.get(source) or escape_mrkdwn(source)


def owner_text(owner: str | None, source: str | None = None, *, none: str = "—") -> str:
    """An account's owner: a Slack user id as a mention, an e-mail (or a name) as written, escaped;
    a CRM's numeric owner id (HubSpot's `hubspot_owner_id`) as "HubSpot owner 123", the source
    naming whose id it is ("CRM owner 123" when unknown): a bare number means nothing in Slack."""
    if not owner:
        return none
    if owner.isascii() and owner.isdigit():
        return f"{SOURCE_NAMES.get(source or '', 'CRM')} owner {owner}"
    return mention(owner)


def user_mention(user_id: str) -> str:
    """`<@U123>` for an id Slack gave us (escaped, so a forged id cannot smuggle markup)."""
    return f"<@{escape_mrkdwn(user_id)}>"


def local_time(at: datetime | None, tz: tzinfo | None = None) -> str:
    """An instant in the reader's (or channel's) zone; '' for none."""
    if at is None:
        return ""
    local = at.astimezone(tz) if tz is not None else at
    return local.strftime(LOCAL_TIME_FORMAT).strip()


def duration(minutes: float, days: bool = True) -> str:
    """45 -> '45m', 80 -> '1h 20m', 1565 -> '1d 2h'. SLA time left is in business minutes, where a
    24-hour "day" would mislead, so it is written with `days=False`: 1980 -> '33h'."""
    total = round(abs(minutes))
    day_count, rest = divmod(total, 1440) if days else (0, total)
    hours, mins = divmod(rest, 60)
    if day_count:
        return f"{day_count}d {hours}h" if hours else f"{day_count}d"
    if hours:
        return f"{hours}h {mins}m" if mins else f"{hours}h"
    return f"{mins}m"


def money(value: Decimal) -> str:
    """$25,000 for whole amounts, $25,000.50 otherwise (as the tier rules write it in their reasons)."""
    return dollars(value)


def usergroup_mention(group_id: str) -> str:
    """`<!subteam^S123>`: notifies everyone in a Slack user group."""
    return f"<!subteam^{escape_mrkdwn(group_id)}>"


def channel_mention(channel: str) -> str:
    """`<#C123>` for a channel id; a '#name' as written (Slack links it)."""
    return escape_mrkdwn(channel) if channel.startswith("#") else f"<#{escape_mrkdwn(channel)}>"
