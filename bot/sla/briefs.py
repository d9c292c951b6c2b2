"""What the /tier card shows of an account's tickets: open tickets against SLA and the last 30 days.

Plain data (metrics, minutes, counts); the card's words for them are in `bot.views.tickets`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from sqlalchemy import BindParameter, Integer, bindparam, exists, func, select
from sqlalchemy.orm import Session

from bot.sla.clock import AT_RISK, BREACHED, Metric, SlaState
from bot.sla.metrics import period_metrics
from bot.sla.state import TicketState, iter_states
from storage.models.tickets import Ticket, is_open

if TYPE_CHECKING:
    from bot.policy.model import Policy

MAX_LINES = 5
RECENT_DAYS = 30
_WORST = {BREACHED: 0, AT_RISK: 1}


@dataclass(frozen=True)
class TicketLine:
    """One open ticket on the card, by its worse clock."""

    ticket_id: str
    subject: str
    severity: str  # sev1..sev4
    state: SlaState
    metric: Metric
    minutes_left: int  # business minutes on the SLA calendar; negative when overdue
    paused: bool = False  # resolution clock stopped while waiting on the customer
    # The tier whose targets the ticket runs on (its name), when it is not the card's: the ticket was
    # opened before its account changed tier and keeps the targets it was opened with.
    target_tier: str | None = None


@dataclass(frozen=True)
class RecentFigures:
    """The account's tickets created in the last `RECENT_DAYS` days; None where nothing was measured."""

    tickets: int
    mtta_minutes: float | None = None  # mean time to first response, wall clock
    mttr_minutes: float | None = None  # mean time to resolution, wall clock
    sla_attainment: float | None = None  # share 0-1 of decided targets met
    csat_avg: float | None = None  # 1-5


@dataclass(frozen=True)
class TicketSummary:
    open_count: int
    breached: int
    at_risk: int
    lines: tuple[TicketLine, ...] = ()  # worst first, at most MAX_LINES
    last_30_days: RecentFigures | None = None


def _worst_key(state: TicketState) -> tuple[int, int]:
    return _WORST.get(state.state, 2), state.minutes_left


@lru_cache(maxsize=1)
def _statement() -> Any:
    """Whether the account has any ticket and how many are open, in one Core statement built once: it
    runs on every cold /tier card of an account with tickets."""
    account_id: BindParameter[int] = bindparam("account_id", type_=Integer)
    open_count = select(func.count()).where(Ticket.account_id == account_id, is_open()).scalar_subquery()
    return select(
        exists().where(Ticket.account_id == account_id).label("any_ticket"), open_count.label("open_count")
    )


def account_ticket_summary(
    session: Session, policy: Policy, account_id: int, tier: str, now: datetime, at_risk_share: float = 0.25
) -> TicketSummary | None:
    """Open tickets, worst first, each against the targets of the tier it was opened in (the README's
    rule), naming that tier where it is not `tier` (the card's); and 30-day metrics."""
    counts = session.connection().execute(_statement(), {"account_id": account_id}).one()
    if not counts.any_ticket:
        return None
    worst: dict[str, TicketState] = {}  # one line per ticket: its worse clock
    for state in iter_states(session, policy, now, at_risk_share, [Ticket.account_id == account_id]):
        current = worst.get(state.ticket_id)
        if current is None or _worst_key(state) < _worst_key(current):
            worst[state.ticket_id] = state
    ranked = sorted(worst.values(), key=lambda s: (*_worst_key(s), s.ticket_id))
    lines = tuple(
        TicketLine(
            s.ticket_id,
            s.subject,
            s.severity,
            s.state,
            s.metric,
            s.minutes_left,
            s.paused,
            None if s.tier == tier else policy.tier(s.tier).name,
        )
        for s in ranked[:MAX_LINES]
    )
    return TicketSummary(
        open_count=int(counts.open_count or 0),
        breached=sum(1 for s in worst.values() if s.state == BREACHED),
        at_risk=sum(1 for s in worst.values() if s.state == AT_RISK),
        lines=lines,
        last_30_days=recent_figures(session, policy, account_id, now, at_risk_share),
    )


def recent_figures(
    session: Session, policy: Policy, account_id: int, now: datetime, at_risk_share: float
) -> RecentFigures:
    m = period_metrics(
        session,
        policy,
        now - timedelta(days=RECENT_DAYS),
        now,
        account_id=account_id,
        now=now,
        at_risk_share=at_risk_share,
    )
    return RecentFigures(m.tickets, m.mtta_minutes, m.mttr_minutes, m.sla_attainment, m.csat_avg)
