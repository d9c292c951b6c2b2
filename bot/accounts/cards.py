"""What the tier card shows of one account: read in one Core statement, evaluated, detached."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any

from sqlalchemy import bindparam, exists, select
from sqlalchemy.orm import Session

from bot.accounts.tiering import newest_override_id
from bot.alerts.health import (
    TREND_DAYS,
    TREND_PREVIOUS,
    TREND_SINCE,
    HealthTrend,
    health_trend,
    trend_columns,
)
from bot.decisions.briefs import DecisionBrief, decisions_touching
from bot.policy.evaluate import AccountFacts, Override, TierResult, evaluate
from bot.policy.model import Policy, Tier
from bot.sla.briefs import TicketSummary, account_ticket_summary
from storage.db import Database
from storage.models import Account, TierOverride
from storage.models.decisions import DecisionAccount
from storage.models.tickets import Ticket

# The decisions naming only a tier, for cards of accounts no decision names (most of them). Reading
# them costs ~0.5 ms at 2,000 decisions, half a cold lookup, so the service memoises them per tier.
TierDecisions = Callable[[str], Sequence[DecisionBrief]]


@dataclass(frozen=True)
class AccountCard:
    """Everything the tier card shows, detached from the database session."""

    account_id: int
    name: str
    external_id: str | None
    domain: str | None
    acv: Decimal | int | float
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
    source_removed_at: datetime | None = None  # archived or deleted there; the account stays here
    health_trend: HealthTrend | None = None  # from the health history (bot.alerts.health)
    slack_channel: str | None = None  # the account's own channel (its alerts go there)


def card_valid_until(card: AccountCard | None, now: datetime) -> datetime | None:
    """Open tickets' time left moves by the minute; the rest (30-day figures, override expiry by date)
    is allowed to be up to an hour old."""
    if card is None:
        return None
    if card.tickets is not None and card.tickets.open_count:
        return now.replace(second=0, microsecond=0) + timedelta(minutes=1)
    return now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)


@lru_cache(maxsize=1)
def card_statement() -> Any:
    """The account, its override (`tiering.newest_override_id`), whether any ticket or decision
    names it, and its health trend (`health.trend_columns`), in one statement.

    Built once and run on the Core connection: a cold /tier lookup used to spend ~1 ms in three ORM
    round trips (the account, its override, a ticket probe) before rendering anything.
    """
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
            Account.source_removed_at,
            Account.slack_channel,
            TierOverride.tier,
            TierOverride.reason,
            TierOverride.set_by,
            TierOverride.expires_at,
            has_tickets.label("has_tickets"),
            has_decisions.label("has_decisions"),
            *trend_columns(Account.id),
        )
        .outerjoin(TierOverride, TierOverride.id == newest_override_id(Account.id))
        .where(Account.id == bindparam("account_id"))
    )


def read_card(
    db: Database,
    policy: Policy,
    account_id: int,
    now: datetime,
    at_risk_share: float,
    tier_decisions: TierDecisions,
) -> AccountCard | None:
    """The card of an account, or None when it does not exist (any more)."""
    # A plain connection, not an ORM session: most accounts have no tickets, and for them the card is
    # two Core reads; a session's begin/commit bookkeeping alone would cost more than both.
    with db.engine.connect() as conn:
        params = {"account_id": account_id, TREND_SINCE: now - timedelta(days=TREND_DAYS)}
        row = conn.execute(card_statement(), params).first()
        if row is None:
            return None
        # evaluate() drops the override once it has expired, as tiering.active_override does.
        override = (
            Override(tier=row.tier, reason=row.reason, set_by=row.set_by, expires_at=row.expires_at)
            if row.tier is not None
            else None
        )
        facts = AccountFacts(acv=row.acv, usage_criticality=row.usage_criticality, strategic=row.strategic)
        result = evaluate(policy, facts, override, now)
        own = decisions_touching(conn, account_id, result.tier) if row.has_decisions else None
        tickets = None
        if row.has_tickets:
            with Session(bind=conn) as session:
                tickets = account_ticket_summary(session, policy, account_id, result.tier, now, at_risk_share)
    # After the connection is back: `tier_decisions` may take one of its own, and one thread must
    # never hold two (the pool is shared with the listeners).
    decisions = own if own is not None else tier_decisions(result.tier)
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
        source=row.source,
        source_updated_at=row.source_updated_at,
        source_removed_at=row.source_removed_at,
        slack_channel=row.slack_channel,
        health_trend=health_trend(
            row.health_score,
            [row._mapping[f"health_prev{k}"] for k in range(TREND_PREVIOUS)],
            row.health_at_since,
        ),
        result=result,
        tier=policy.tier(result.tier),
        decisions=tuple(decisions),
        tickets=tickets,
    )
