"""The SLA capability's front door: what the /tier card, the digest, review triggers and the CLI ask of
the SLA engine.

Plain functions with explicit dependencies (a `Session`, the `Policy`, `now`, the `at_risk_share`
setting) returning plain data: `TicketSummary` for the card, `PeriodMetrics` for a scope and period,
`TicketState` per running clock. Display text is `bot.views` (`bot.views.tickets` for the card).

The domain functions behind these stay importable where they are (`bot.sla.briefs`, `.metrics`,
`.state`, `.clock`); new callers should come through here.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from sqlalchemy.orm import Session

from bot.policy.model import Policy
from bot.sla import briefs, metrics, state
from bot.sla.briefs import RecentFigures, TicketLine, TicketSummary
from bot.sla.clock import Metric, SlaState
from bot.sla.metrics import PeriodMetrics, SupportMetric
from bot.sla.state import TicketState
from bot.sla.targets import served_tier

__all__ = [
    "Metric",
    "PeriodMetrics",
    "RecentFigures",
    "SlaState",
    "SupportMetric",
    "TicketLine",
    "TicketState",
    "TicketSummary",
    "account_ticket_summary",
    "attainment_by_tier",
    "measure",
    "most_at_stake",
    "open_ticket_states",
    "period_metrics",
    "served_tier",
]


def account_ticket_summary(
    session: Session, policy: Policy, account_id: int, tier: str, now: datetime, at_risk_share: float
) -> TicketSummary | None:
    """The /tier card's ticket section: open tickets judged against `tier` (the tier the card shows),
    worst first, and the last 30 days; None when the account never had a ticket.

    On the /tier request path: a cold card with tickets spends its database time here."""
    return briefs.account_ticket_summary(session, policy, account_id, tier, now, at_risk_share)


def period_metrics(
    session: Session,
    policy: Policy,
    start: datetime,
    end: datetime,
    *,
    now: datetime,
    at_risk_share: float,
    tier: str | None = None,
    account_id: int | None = None,
) -> PeriodMetrics:
    """Support metrics of the tickets created in [start, end), for a served tier, an account or all;
    still-open tickets already past a target as of `now` count as missed."""
    return metrics.period_metrics(
        session, policy, start, end, tier, account_id, now=now, at_risk_share=at_risk_share
    )


def measure(
    session: Session,
    policy: Policy,
    metric: SupportMetric | str,
    start: datetime,
    end: datetime,
    *,
    tier: str | None = None,
    account_id: int | None = None,
) -> float | None:
    """One review-trigger metric for a scope and period, in its unit (hours, percent, dollars, score);
    None when there is nothing to measure. Open tickets are judged at `end`. Raises ValueError for a
    name that is not a `SupportMetric` (a trigger stored by a newer version)."""
    return metrics.measure(session, policy, metric, tier, account_id, start, end)


def attainment_by_tier(session: Session, start: datetime, end: datetime) -> dict[str, tuple[int, int]]:
    """(met, decided) SLA targets per served tier for tickets created in [start, end), from stored
    outcomes only (open clocks not included)."""
    return metrics.attainment_by_tier(session, start, end)


def open_ticket_states(
    session: Session,
    policy: Policy,
    now: datetime,
    at_risk_share: float,
    *,
    tiers: set[str] | None = None,
    account_id: int | None = None,
) -> Iterator[TicketState]:
    """One state per running clock of every open ticket (of these tiers, or this account), streamed in
    bounded memory; tickets of tiers the policy does not know are skipped."""
    return state.iter_open_ticket_states(session, policy, now, at_risk_share, tiers, account_id)


def most_at_stake(
    session: Session,
    policy: Policy,
    now: datetime,
    at_risk_share: float,
    limit: int,
    *,
    tiers: set[str] | None = None,
) -> list[TicketState]:
    """The `limit` breached or at-risk clocks most at stake: higher tier, breached before at risk, higher
    ACV, further over."""
    return state.top_at_stake(open_ticket_states(session, policy, now, at_risk_share, tiers=tiers), limit)
