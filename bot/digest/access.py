"""Who may do what with the digest.

- A channel's subscription is changed, and shown by `/digest list`, only for people in that channel,
  or admins: a private channel's id, schedule and subscriber are its members' business. Membership is
  Slack's to say; the adapter asks it (`MemberCheck`), this module only decides.
- A breach's Acknowledge and Snooze must name a ticket the channel was shown: one in its latest digest
  (or re-posted there since), kept in the subscription's snapshot, and still existing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from bot.digest import subscriptions
from bot.digest.model import DigestSnapshot
from storage.db import Database
from storage.models.tickets import Ticket


class Membership(StrEnum):
    MEMBER = "member"
    NOT_MEMBER = "not_member"
    HIDDEN = "hidden"  # Slack will not list the channel to the bot: private and the bot not in it, or gone
    UNKNOWN = "unknown"  # Slack could not say now (rate limited, failing, too slow)


# The asking user's membership of a channel id.
MemberCheck = Callable[[str], Membership]


class RefusalKind(StrEnum):
    NOT_MEMBER = "not_member"
    CHANNEL_HIDDEN = "channel_hidden"
    SLACK_UNAVAILABLE = "slack_unavailable"
    NO_DIGEST = "no_digest"  # a breach button in a channel with no subscription
    NOT_IN_DIGEST = "not_in_digest"  # a ticket the channel's latest digest did not show
    NO_TICKET = "no_ticket"


@dataclass(frozen=True)
class Refused:
    """Nothing was changed, and why."""

    reason: RefusalKind
    channel: str = ""
    ticket_id: str = ""


_REFUSED_FOR = {
    Membership.NOT_MEMBER: RefusalKind.NOT_MEMBER,
    Membership.HIDDEN: RefusalKind.CHANNEL_HIDDEN,
    Membership.UNKNOWN: RefusalKind.SLACK_UNAVAILABLE,
}


def channel_refusal(channel: str, admin: bool, member_of: MemberCheck) -> Refused | None:
    """None when the user may manage `channel`'s digest: an admin, or one of its members."""
    if admin:
        return None
    found = member_of(channel)
    if found == Membership.MEMBER:
        return None
    return Refused(_REFUSED_FOR[found], channel)


def visible(channels: list[str], admin: bool, member_of: MemberCheck) -> list[str] | Refused:
    """The channels among `channels` the user is in (admins: all). Slack failing on any of them
    refuses the whole list, rather than show a list that silently lacks some."""
    if admin:
        return list(channels)
    out: list[str] = []
    for channel in dict.fromkeys(channels):
        found = member_of(channel)
        if found == Membership.UNKNOWN:
            return Refused(RefusalKind.SLACK_UNAVAILABLE)
        if found == Membership.MEMBER:
            out.append(channel)
    return out


def breach_refusal(db: Database, channel: str | None, ticket_id: str) -> Refused | None:
    """None when `ticket_id` was shown in `channel` (its latest digest or a re-post since) and exists."""
    sub = subscriptions.by_channel(db, channel) if channel else None
    if sub is None:
        return Refused(RefusalKind.NO_DIGEST, channel or "", ticket_id)
    shown = DigestSnapshot.from_dict(sub.last_snapshot).tickets if sub.last_snapshot else ()
    if ticket_id not in shown:
        return Refused(RefusalKind.NOT_IN_DIGEST, sub.channel, ticket_id)
    with db.session() as session:
        if session.get(Ticket, ticket_id) is None:
            return Refused(RefusalKind.NO_TICKET, sub.channel, ticket_id)
    return None
