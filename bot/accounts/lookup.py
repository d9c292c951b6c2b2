"""`/tier QUERY` as a plain function: find the account, evaluate its tier, gather what the card shows."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import Enum

from bot.accounts.matching import Candidate, Match, MatchKind
from bot.accounts.tiering import tier_of
from bot.decisions.briefs import DecisionBrief, decisions_touching
from bot.policy.evaluate import TierResult
from bot.policy.model import Tier
from bot.services import Services
from bot.sla.briefs import TicketSummary, account_ticket_summary
from bot.text import clean_input
from storage.models import Account


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


def _assemble(services: Services, account_id: int, now: datetime) -> AccountCard | None:
    with services.db.session() as session:
        account = session.get(Account, account_id)
        if account is None:
            return None
        result = tier_of(session, services.policy, account, now)
        decisions = decisions_touching(session, account.id, result.tier)
        tickets = account_ticket_summary(
            session, services.policy, account.id, result.tier, now, services.settings.at_risk_share
        )
        return AccountCard(
            account_id=account.id,
            name=account.name,
            external_id=account.external_id,
            domain=account.domain,
            acv=account.acv,
            usage_criticality=account.usage_criticality,
            strategic=account.strategic,
            health_score=account.health_score,
            owner=account.owner,
            region=account.region,
            result=result,
            tier=services.policy.tier(result.tier),
            decisions=tuple(decisions),
            tickets=tickets,
        )


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
