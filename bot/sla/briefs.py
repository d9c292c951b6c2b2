"""What the /tier card shows of an account's tickets: open tickets against SLA and the last 30 days."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.sla.clock import AT_RISK, BREACHED, FIRST_RESPONSE
from bot.sla.metrics import period_metrics
from bot.sla.state import TicketState, iter_states
from bot.views.format import duration as format_minutes  # TODO(issue 8): display text belongs in views
from storage.models.tickets import Ticket, is_open

if TYPE_CHECKING:
    from bot.policy.model import Policy

MAX_LINES = 5
_WORST = {BREACHED: 0, AT_RISK: 1}


@dataclass(frozen=True)
class TicketLine:
    ticket_id: str
    subject: str
    severity: str  # sev1..sev4
    state: str  # ok | at_risk | breached
    due_text: str  # "first response due in 1h 20m", "resolution 3h over"


@dataclass(frozen=True)
class TicketSummary:
    open_count: int
    breached: int
    at_risk: int
    lines: tuple[TicketLine, ...] = ()
    # Last 30 days, metric label -> formatted value ("MTTR" -> "6h 10m").
    last_30_days: dict[str, str] = field(default_factory=dict)


def due_text(state: TicketState) -> str:
    label = "first response" if state.metric == FIRST_RESPONSE else "resolution"
    if state.minutes_left < 0:
        return f"{label} {format_minutes(state.minutes_left, days=False)} over"
    if state.paused:
        return f"{label} paused, {format_minutes(state.minutes_left, days=False)} left"
    return f"{label} due in {format_minutes(state.minutes_left, days=False)}"


def _worst_key(state: TicketState) -> tuple[int, int]:
    return _WORST.get(state.state, 2), state.minutes_left


def account_ticket_summary(
    session: Session, policy: Policy, account_id: int, tier: str, now: datetime, at_risk_share: float = 0.25
) -> TicketSummary | None:
    """Open tickets judged against `tier` (the tier the card shows), worst first, and 30-day metrics."""
    if session.scalar(select(Ticket.id).where(Ticket.account_id == account_id).limit(1)) is None:
        return None
    worst: dict[str, TicketState] = {}  # one line per ticket: its worse clock
    for state in iter_states(
        session, policy, now, at_risk_share, [Ticket.account_id == account_id], tier_override=tier
    ):
        current = worst.get(state.ticket_id)
        if current is None or _worst_key(state) < _worst_key(current):
            worst[state.ticket_id] = state
    ranked = sorted(worst.values(), key=lambda s: (*_worst_key(s), s.ticket_id))
    lines = tuple(
        TicketLine(s.ticket_id, s.subject, s.severity, s.state, due_text(s)) for s in ranked[:MAX_LINES]
    )
    open_count = session.scalar(select(func.count()).where(Ticket.account_id == account_id, is_open()))
    return TicketSummary(
        open_count=int(open_count or 0),
        breached=sum(1 for s in worst.values() if s.state == BREACHED),
        at_risk=sum(1 for s in worst.values() if s.state == AT_RISK),
        lines=lines,
        last_30_days=_last_30_days(session, policy, account_id, now, at_risk_share),
    )


def _last_30_days(
    session: Session, policy: Policy, account_id: int, now: datetime, at_risk_share: float
) -> dict[str, str]:
    m = period_metrics(
        session,
        policy,
        now - timedelta(days=30),
        now,
        account_id=account_id,
        now=now,
        at_risk_share=at_risk_share,
    )
    out = {"Tickets": str(m.tickets)}
    if m.mtta_minutes is not None:
        out["MTTA"] = format_minutes(m.mtta_minutes)
    if m.mttr_minutes is not None:
        out["MTTR"] = format_minutes(m.mttr_minutes)
    if m.sla_attainment is not None:
        out["SLA attainment"] = f"{m.sla_attainment * 100:.0f}%"
    if m.csat_avg is not None:
        out["CSAT"] = f"{m.csat_avg:.1f} / 5"
    return out
