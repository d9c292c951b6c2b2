"""`/tier QUERY` as a plain function: find the account, evaluate its tier, gather what the card shows."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import Enum
from functools import lru_cache
from typing import Any

from sqlalchemy import bindparam, exists, select
from sqlalchemy.orm import Session

from bot.accounts.matching import Candidate, Match, MatchKind
from bot.decisions.briefs import DecisionBrief, decisions_touching
from bot.policy.evaluate import AccountFacts, Override, TierResult, evaluate
from bot.policy.model import Tier
from bot.services import Services
from bot.sla.briefs import TicketSummary, account_ticket_summary
from bot.text import clean_input
from storage.models import Account, TierOverride
from storage.models.decisions import DecisionAccount
from storage.models.tickets import Ticket


class Outcome(Enum):
    HELP = "help"
    FOUND = "found"
    CHOOSE = "choose"
    NOT_FOUND = "not_found"


@dataclass(frozen=True)
class AccountCard:
    """Everything the tier card shows, detached from the database session."""

    account_id: int
    name: str
    external_id: str | None
    domain: str | None
    acv: object
    usage_criticality: str
    strategic: bool
    health_score: int | None
    owner: str | None
    region: str | None
    result: TierResult
    tier: Tier
    decisions: tuple[DecisionBrief, ...] = ()
    tickets: TicketSummary | None = None
    source: str | None = None  # the CRM the data is synced from (bot/sync), and when it last changed there
    source_updated_at: datetime | None = None


@dataclass(frozen=True)
class Lookup:
    outcome: Outcome
    query: str
    card: AccountCard | None = None
    candidates: tuple[Candidate, ...] = field(default_factory=tuple)
    match: Match | None = None


def account_card(services: Services, account_id: int, now: datetime | None = None) -> AccountCard | None:
    """The card, assembled once per account and data version while the clock does not change it."""
    at = now or services.clock()
    return services.cached(("card", account_id), at, lambda: _timed(_assemble(services, account_id, at), at))


def card_valid_until(card: AccountCard | None, now: datetime) -> datetime | None:
    """Open tickets' time left moves by the minute; the rest (30-day figures, override expiry by date)
    is allowed to be up to an hour old."""
    if card is None:
        return None
    if card.tickets is not None and card.tickets.open_count:
        return now.replace(second=0, microsecond=0) + timedelta(minutes=1)
    return now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)


def _timed(card: AccountCard | None, now: datetime) -> tuple[AccountCard | None, datetime | None]:
    return card, card_valid_until(card, now)


@lru_cache(maxsize=1)
def _card_statement() -> Any:
    """The account, its newest uncleared override, and whether any ticket or decision names it, in one
    statement.

    Built once and run on the Core connection: a cold /tier lookup used to spend ~1 ms in three ORM
    round trips (the account, its override, a ticket probe) before rendering anything.
    """
    newest_override = (
        select(TierOverride.id)
        .where(TierOverride.account_id == Account.id, TierOverride.cleared_at.is_(None))
        .order_by(TierOverride.created_at.desc(), TierOverride.id.desc())
        .limit(1)
        .correlate(Account)
        .scalar_subquery()
    )
    has_tickets = exists().where(Ticket.account_id == Account.id).correlate(Account)
    has_decisions = exists().where(DecisionAccount.account_id == Account.id).correlate(Account)
    return (
        select(
            Account.id,
            Account.name,
            Account.external_id,
            Account.domain,
            Account.acv,
            Account.usage_criticality,
            Account.strategic,
            Account.health_score,
            Account.owner,
            Account.region,
            Account.source,
            Account.source_updated_at,
            TierOverride.tier,
            TierOverride.reason,
            TierOverride.set_by,
            TierOverride.expires_at,
            has_tickets.label("has_tickets"),
            has_decisions.label("has_decisions"),
        )
        .outerjoin(TierOverride, TierOverride.id == newest_override)
        .where(Account.id == bindparam("account_id"))
    )


def _assemble(services: Services, account_id: int, now: datetime) -> AccountCard | None:
    # A plain connection, not an ORM session: most accounts have no tickets, and for them the card is
    # two Core reads; a session's begin/commit bookkeeping alone would cost more than both.
    with services.db.engine.connect() as conn:
        row = conn.execute(_card_statement(), {"account_id": account_id}).first()
        if row is None:
            return None
        # As tiering.active_override: only the newest uncleared override counts (evaluate() drops it
        # once it has expired; an older one never comes back).
        override = (
            Override(tier=row.tier, reason=row.reason, set_by=row.set_by, expires_at=row.expires_at)
            if row.tier is not None
            else None
        )
        facts = AccountFacts(acv=row.acv, usage_criticality=row.usage_criticality, strategic=row.strategic)
        result = evaluate(services.policy, facts, override, now)
        # Most accounts are named by no decision: theirs are their tier's, read below once per version.
        own = decisions_touching(conn, account_id, result.tier) if row.has_decisions else None
        tickets = None
        if row.has_tickets:
            with Session(bind=conn) as session:
                tickets = account_ticket_summary(
                    session, services.policy, account_id, result.tier, now, services.settings.at_risk_share
                )
    return AccountCard(
        account_id=row.id,
        name=row.name,
        external_id=row.external_id,
        domain=row.domain,
        acv=row.acv,
        usage_criticality=row.usage_criticality,
        strategic=bool(row.strategic),
        health_score=row.health_score,
        owner=row.owner,
        region=row.region,
        result=result,
        tier=services.policy.tier(result.tier),
        decisions=tuple(own if own is not None else _tier_decisions(services, result.tier, now)),
        tickets=tickets,
        source=row.source,
        source_updated_at=row.source_updated_at,
    )


def _tier_decisions(services: Services, tier: str, now: datetime) -> list[DecisionBrief]:
    # Outside the card's connection: a miss here, or the version check inside cached(), takes a
    # connection of its own, and one thread must never hold two (the pool is shared with listeners).
    def read() -> tuple[list[DecisionBrief], None]:
        with services.db.engine.connect() as conn:
            return decisions_touching(conn, None, tier), None

    return services.cached(("tier-decisions", tier), now, read)


def lookup(services: Services, raw_query: str | None, now: datetime | None = None) -> Lookup:
    query = clean_input(raw_query)
    if not query or query.casefold() in ("help", "?", "-h", "--help"):
        return Lookup(Outcome.HELP, query)
    match = services.account_index().match(query)
    if match.account_id is not None:
        card = account_card(services, match.account_id, now)
        if card is not None:
            return Lookup(Outcome.FOUND, query, card=card, match=match)
        # The account vanished between index refresh and read: fall through to "not found".
        return Lookup(Outcome.NOT_FOUND, query, match=match)
    if match.kind is MatchKind.AMBIGUOUS:
        return Lookup(Outcome.CHOOSE, query, candidates=match.candidates, match=match)
    return Lookup(Outcome.NOT_FOUND, query, candidates=match.candidates, match=match)
