"""`/tier QUERY` as a plain function: find the account, evaluate its tier, gather what the card shows."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
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
    """The card, assembled once per account, data version and minute (SLA time left moves by minutes)."""
    now = now or services.clock()
    minute = now.replace(second=0, microsecond=0)
    return services.cached(("card", account_id, minute), lambda: _assemble(services, account_id, now))


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
