"""Digest subscriptions: parsing `/digest subscribe ...` and keeping one schedule per channel."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update

from bot.policy.model import Policy
from bot.schedule.periods import (
    DAILY,
    HOURLY,
    WEEKLY,
    Cadence,
    CadenceError,
    parse_time,
    parse_weekday,
    quote_input,
    validate_country,
    zone,
)
from storage.db import Database
from storage.models.schedule import DigestSubscription

# Slack escapes a picked channel as <#C123|name> (or <#C123> when the name is withheld).
_CHANNEL_LINK = re.compile(r"^<#([CGD][A-Z0-9]{2,})(?:\|[^>]*)?>$")
_CHANNEL_ID = re.compile(r"^[CG][A-Z0-9]{6,}$")
_TIME = re.compile(r"^\d{1,2}:\d{2}$")


@dataclass(frozen=True)
class SubscribeRequest:
    channel: str | None  # None: the channel the command was typed in
    cadence: Cadence
    tiers: tuple[str, ...]  # empty: every tier


def channel_of(token: str) -> str | None:
    """A channel id from a mention token, None if the token is not a channel at all.

    A bare `#name` cannot be resolved without listing every channel, so it is refused with a hint."""
    if m := _CHANNEL_LINK.match(token):
        return m[1]
    if _CHANNEL_ID.match(token):
        return token
    if token.startswith("#"):
        raise CadenceError(
            f"I can only use a channel link: type `#` and pick *{quote_input(token)}* from the list, so that Slack "
            "sends me its id (or run the command inside that channel)."
        )
    return None


def parse_subscribe(tokens: list[str], policy: Policy, default_tz: str) -> SubscribeRequest:
    """`[#channel] daily 09:00 | weekly mon 09:00 | hourly  [tiers ...] [tz=Zone] [skip-holidays=CC]`."""
    channel: str | None = None
    kind: str | None = None
    at_time: str | None = None
    weekday: int | None = None
    tz = default_tz
    country: str | None = None
    tiers: list[str] = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        low = token.casefold()
        if (found := channel_of(token)) is not None:
            channel = found
        elif low in (DAILY, WEEKLY, HOURLY):
            if kind is not None:
                raise CadenceError("Give one cadence: `daily HH:MM`, `weekly DAY HH:MM` or `hourly`.")
            kind = low
            if kind == WEEKLY:
                if i + 1 >= len(tokens) or _TIME.match(tokens[i + 1]):
                    raise CadenceError("Say which day: `weekly mon 09:00`.")
                i += 1
                weekday = parse_weekday(tokens[i])
            if i + 1 < len(tokens) and _TIME.match(tokens[i + 1]):
                if kind == HOURLY:
                    raise CadenceError("`hourly` takes no time: it posts on the hour during business hours.")
                i += 1
                at_time = parse_time(tokens[i])
        elif low.startswith("tz="):
            tz = token.split("=", 1)[1]
            zone(tz)
        elif low.startswith(("skip-holidays=", "holidays=")):
            country = validate_country(token.split("=", 1)[1])
        elif (tier := policy.find_tier(token)) is not None:
            if tier.key not in tiers:
                tiers.append(tier.key)
        elif _TIME.match(token):
            raise CadenceError(
                f"`{quote_input(token)}`: put the time right after the cadence, like `daily {quote_input(token)}`."
            )
        else:
            names = ", ".join(t.key for t in policy.tiers)
            raise CadenceError(
                f"I don't understand `{quote_input(token)}`. Tiers are {names}; see `/digest help`."
            )
        i += 1
    if kind is None:
        raise CadenceError("Say how often: `daily 09:00`, `weekly mon 09:00` or `hourly`.")
    zone(tz)
    if kind != HOURLY and at_time is None:
        at_time = "09:00"
    # Keep tiers in policy order (highest first) whatever order they were typed in.
    ordered = tuple(t.key for t in policy.tiers if t.key in tiers)
    return SubscribeRequest(channel, Cadence(kind, tz, at_time, weekday, country), ordered)


def cadence_of(sub: DigestSubscription) -> Cadence:
    return Cadence(sub.cadence, sub.tz, sub.at_time, sub.weekday, sub.skip_holidays)


def describe(sub: DigestSubscription) -> str:
    tiers = ", ".join(sub.tiers) if sub.tiers else "all tiers"
    return f"{cadence_of(sub).describe()} · {tiers}"


def subscribe(
    db: Database, channel: str, request: SubscribeRequest, user: str, now: datetime
) -> tuple[DigestSubscription, bool]:
    """Create or replace the channel's subscription; returns it and whether it replaced one."""
    cadence = request.cadence
    with db.session() as session:
        sub = session.scalar(select(DigestSubscription).where(DigestSubscription.channel == channel))
        replaced = sub is not None and sub.active
        if sub is None:
            sub = DigestSubscription(channel=channel)
            session.add(sub)
        sub.tiers = list(request.tiers)
        sub.cadence = cadence.kind
        sub.at_time = cadence.at_time
        sub.weekday = cadence.weekday
        sub.tz = cadence.tz
        sub.skip_holidays = cadence.skip_holidays
        sub.created_by = user
        # A new schedule starts now: periods before it were never owed, so none count as missed.
        sub.created_at = now
        sub.checked_until = now
        sub.active = True
        sub.problem_notified_at = None
        session.flush()
        return sub, replaced


def unsubscribe(db: Database, channel: str) -> bool:
    with db.session() as session:
        result = session.execute(
            update(DigestSubscription)
            .where(DigestSubscription.channel == channel, DigestSubscription.active.is_(True))
            .values(active=False)
            .execution_options(synchronize_session=False)
        )
        return result.rowcount == 1  # type: ignore[attr-defined]


def active(db: Database) -> list[DigestSubscription]:
    with db.session() as session:
        return list(
            session.scalars(
                select(DigestSubscription)
                .where(DigestSubscription.active.is_(True))
                .order_by(DigestSubscription.id)
            ).all()
        )


def by_channel(db: Database, channel: str) -> DigestSubscription | None:
    with db.session() as session:
        return session.scalar(
            select(DigestSubscription).where(
                DigestSubscription.channel == channel, DigestSubscription.active.is_(True)
            )
        )
