"""The digest capability's front door: subscriptions, the digest itself, acknowledging and snoozing
breaches. `/digest`, the scheduled jobs and `tierbot digest show` all come through here.

Plain functions with explicit dependencies; results are values (`Subscribed`, `CadenceRefusal`, ...),
never Slack messages: `bot.views.digest` and `bot.views.digest_subs` word them. The result types
defined beside the domain (`AckState`, `CadenceRefusal`, `CadenceError`, `Subscription`, and the
access rules' `Membership`, `MemberCheck`, `Refused`) are re-exported from here.

Who may do what (`bot.digest.access`): changing or listing a channel's subscription takes a member of
the channel or an admin (`admin`, and `member_of`, the adapter's question to Slack, asked only when it
matters); a breach's buttons must name a ticket the channel was shown.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.digest import access, acks, subscriptions
from bot.digest.access import MemberCheck as MemberCheck
from bot.digest.access import Membership as Membership
from bot.digest.access import RefusalKind as RefusalKind
from bot.digest.access import Refused as Refused
from bot.digest.acks import AckState as AckState
from bot.digest.build import build_digest, full_breach_list
from bot.digest.model import Digest, DigestItem, DigestSnapshot
from bot.digest.periods import CadenceError as CadenceError
from bot.digest.periods import CadenceRefusal as CadenceRefusal
from bot.digest.periods import Occurrence, next_occurrence, occurrences, zone
from bot.digest.subscriptions import Subscription as Subscription
from bot.policy.model import Calendar, Policy
from storage.db import Database


@dataclass(frozen=True)
class Subscribed:
    subscription: Subscription
    replaced: bool  # the channel had a schedule, now changed
    next: Occurrence | None  # None: no period within the next year


@dataclass(frozen=True)
class Unsubscribed:
    channel: str
    stopped: bool  # False: the channel was not subscribed, nothing changed


@dataclass(frozen=True)
class Listed:
    subscription: Subscription
    next: Occurrence | None


@dataclass(frozen=True)
class Built:
    """A digest and the acknowledgement state of its items, as of its run."""

    digest: Digest
    acks: dict[str, AckState]


def _business(policy: Policy) -> Calendar | None:
    return policy.calendars.get("business")


def _channel_arg(args: list[str], default: str) -> str:
    for token in args:
        if (found := subscriptions.channel_of(token)) is not None:
            return found
    return default


# --- /digest ----------------------------------------------------------------------------------------


def subscribe(
    db: Database,
    policy: Policy,
    default_tz: str,
    args: list[str],
    channel_id: str,
    user: str,
    now: datetime,
    *,
    admin: bool,
    member_of: MemberCheck,
) -> Subscribed | CadenceRefusal | Refused:
    """`/digest subscribe ARGS` typed in `channel_id`: create or replace that channel's schedule."""
    try:
        request = subscriptions.parse_subscribe(args, policy, default_tz)
    except CadenceError as exc:
        return exc.refusal
    channel = request.channel or channel_id
    if (refused := access.channel_refusal(channel, admin, member_of)) is not None:
        return refused
    sub, replaced = subscriptions.subscribe(db, channel, request, user, now)
    return Subscribed(sub, replaced, next_occurrence(request.cadence, now, _business(policy)))


def unsubscribe(
    db: Database, args: list[str], channel_id: str, *, admin: bool, member_of: MemberCheck
) -> Unsubscribed | CadenceRefusal | Refused:
    try:
        channel = _channel_arg(args, channel_id)
    except CadenceError as exc:
        return exc.refusal
    # Checked before looking: whether a channel one is not in has a digest is not one's business.
    if (refused := access.channel_refusal(channel, admin, member_of)) is not None:
        return refused
    return Unsubscribed(channel, subscriptions.unsubscribe(db, channel))


def list_subscriptions(db: Database, policy: Policy, now: datetime) -> list[Listed]:
    """Every active subscription with its next period, oldest subscription first (operators)."""
    business = _business(policy)
    return [Listed(sub, next_occurrence(sub.cadence, now, business)) for sub in subscriptions.active(db)]


def list_visible(
    db: Database, policy: Policy, now: datetime, *, admin: bool, member_of: MemberCheck
) -> list[Listed] | Refused:
    """`/digest list`: the subscriptions of the channels the user is in (admins: every one)."""
    listed = list_subscriptions(db, policy, now)
    shown = access.visible([item.subscription.channel for item in listed], admin, member_of)
    if isinstance(shown, Refused):
        return shown
    return [item for item in listed if item.subscription.channel in shown]


def subscribed_by_command(db: Database, args: list[str], channel_id: str) -> Subscription | None:
    """The subscription a `/digest subscribe ARGS` made, None when it was refused (nothing to check)."""
    try:
        channel = _channel_arg(args, channel_id)
    except CadenceError:
        return None
    return subscriptions.by_channel(db, channel)


def channel_zone(db: Database, channel: str | None, default_tz: str) -> ZoneInfo:
    """The zone a channel's digest speaks in (its subscription's), else the default."""
    sub = subscriptions.by_channel(db, channel) if channel else None
    return zone(sub.tz if sub else default_tz)


# --- Acknowledge / Snooze on a breach ---------------------------------------------------------------


def acknowledge(
    db: Database, channel: str | None, ticket_id: str, user: str, now: datetime
) -> AckState | Refused:
    """Acknowledge a breach from a button in `channel`; refused unless the channel was shown it."""
    if (refused := access.breach_refusal(db, channel, ticket_id)) is not None:
        return refused
    return acks.acknowledge(db, ticket_id, user, now)


def snooze(
    db: Database, channel: str | None, ticket_id: str, user: str, choice: str, now: datetime, tz: ZoneInfo
) -> AckState | Refused:
    """Snooze a breach for `choice` ('1h', '4h', 'tomorrow' = 09:00 next day in `tz`), from a button in
    `channel`; refused unless the channel was shown it."""
    if (refused := access.breach_refusal(db, channel, ticket_id)) is not None:
        return refused
    return acks.snooze(db, ticket_id, user, acks.snooze_until(choice, now, tz), now)


# --- what the scheduled jobs need ---------------------------------------------------------------------


def active_subscriptions(db: Database) -> list[Subscription]:
    return subscriptions.active(db)


def subscription_of(db: Database, channel: str) -> Subscription | None:
    return subscriptions.by_channel(db, channel)


def periods(policy: Policy, sub: Subscription, after: datetime, until: datetime) -> list[Occurrence]:
    """The subscription's periods starting in (after, until], oldest first."""
    return occurrences(sub.cadence, after, until, _business(policy))


def build(
    db: Database, policy: Policy, sub: Subscription, at: datetime, *, limit: int, at_risk_share: float
) -> Built:
    """The subscription's digest as of `at`, measured against the previous one it got."""
    previous = DigestSnapshot.from_dict(sub.last_snapshot) if sub.last_snapshot else None
    with db.session() as session:
        digest = build_digest(
            session,
            policy,
            at,
            tiers=set(sub.tiers) or None,
            previous=previous,
            limit=limit,
            at_risk_share=at_risk_share,
        )
        states = acks.ack_states(session, [i.ticket_id for i in digest.items])
    return Built(digest, states)


@dataclass(frozen=True)
class Owed:
    """A subscription's periods not dealt with yet, up to some time (oldest first)."""

    subscription: Subscription
    periods: list[Occurrence]


def owed_until(db: Database, policy: Policy, until: datetime) -> list[Owed]:
    """What a run of the digests as of `until` would deal with: every period since each subscription
    was last checked, up to `until`. The run posts the newest (if within the grace) and records the
    others as skipped, and the schedule never revisits any of them (`tierbot jobs run --force`)."""
    out: list[Owed] = []
    for sub in subscriptions.active(db):
        owed = periods(policy, sub, sub.checked_until or sub.created_at, until)
        if owed:
            out.append(Owed(sub, owed))
    return out


def reposted(db: Database, sub: Subscription, ticket_ids: list[str]) -> None:
    """Breaches re-posted to the channel: its buttons on them are accepted until its next digest."""
    subscriptions.add_shown(db, sub.id, ticket_ids)


def mark_checked(db: Database, sub: Subscription, until: datetime) -> None:
    subscriptions.checked(db, sub.id, until)


def keep_snapshot(db: Database, sub: Subscription, digest: Digest) -> None:
    subscriptions.keep_snapshot(db, sub.id, digest.snapshot().to_dict())


def delivered(db: Database, sub: Subscription) -> None:
    """A digest got through: a delivery problem reported earlier is over."""
    if sub.problem_notified_at is not None:
        subscriptions.problem_cleared(db, sub.id)


def first_problem(db: Database, sub: Subscription, now: datetime) -> bool:
    """True for exactly one caller per problem: who tells the subscriber (once, however many fail)."""
    return subscriptions.claim_problem_notice(db, sub.id, now)


def unacked_breaches(
    db: Database, policy: Policy, at: datetime, *, at_risk_share: float, interval: timedelta
) -> list[DigestItem]:
    """Top-tier breaches overdue for at least one interval that nobody acknowledged or snoozed."""
    top = policy.tiers[0].key
    with db.session() as session:
        items = [
            i
            for i in full_breach_list(session, policy, at, {top}, at_risk_share, breached_since=at - interval)
            if i.tier == top
        ]
        states = acks.ack_states(session, [i.ticket_id for i in items])
    return [i for i in items if i.ticket_id not in states or not states[i.ticket_id].quiet(at)]


def breach_list(
    db: Database, policy: Policy, now: datetime, tiers: set[str] | None, at_risk_share: float
) -> Iterator[DigestItem]:
    """Every breached and at-risk ticket, ranked as in the digest, streamed (`tierbot digest show`)."""
    with db.session() as session:
        yield from full_breach_list(session, policy, now, tiers, at_risk_share)
