"""The report's SQL: every measure is a grouped aggregate computed by the database.

Tickets are read once per query over [earliest window start, now), bucketed by a portable `CASE` on
`created_at` (bound datetimes, no date functions, so SQLite and PostgreSQL run the same SQL) and
grouped by bucket and served tier (`Ticket.sla_tier`, as `bot.sla.metrics` scopes a tier). The bucket
is computed in a subquery and grouped outside it: PostgreSQL cannot match a `GROUP BY` expression
whose bound parameters are numbered differently from the select list's.

Still-open tickets already past a target count as missed, as in `bot.sla.metrics.period_metrics`:
their clocks are read once with `iter_states` (open tickets only, through the partial index).
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, and_, case, distinct, func, literal, select
from sqlalchemy.orm import Session

from bot.policy.model import Policy
from bot.reports.periods import Window
from bot.sla.clock import BREACHED, FIRST_RESPONSE
from bot.sla.state import iter_states
from storage.models import Account, TierChange
from storage.models.tickets import SOLVED_STATUSES, Ticket, is_open

Bucket = int  # index into the windows given to a query


def _bucket(windows: Sequence[Window]) -> ColumnElement[int]:
    whens = [
        (and_(Ticket.created_at >= w.start, Ticket.created_at < w.end), literal(i))
        for i, w in enumerate(windows)
    ]
    return case(*whens, else_=literal(-1))


def _count_if(condition: ColumnElement[bool]) -> Any:
    return func.sum(case((condition, 1), else_=0))


# The order of the measures in `ticket_sums`'s grouped row.
SUMMED = (
    "tickets", "solved", "fcr", "fr_sum", "fr_n", "res_sum", "res_n", "fr_decided", "fr_met", "res_decided",
    "res_met", "csat_sum", "csat_n", "handle_minutes",
)  # fmt: skip


@dataclass
class Sums:
    """Raw sums of one (bucket, tier); the service turns them into `PeriodMetrics`."""

    tickets: int = 0
    solved: int = 0
    fcr: int = 0
    fr_sum: int = 0
    fr_n: int = 0
    res_sum: int = 0
    res_n: int = 0
    fr_decided: int = 0
    fr_met: int = 0
    res_decided: int = 0
    res_met: int = 0
    csat_sum: int = 0
    csat_n: int = 0
    handle_minutes: int = 0
    accounts: int = 0
    severity: dict[str, int] = field(default_factory=dict)

    def add(self, severity: str, n: list[int]) -> None:
        """Add one grouped row, its values in the order of `SUMMED`."""
        for name, value in zip(SUMMED, n, strict=True):
            setattr(self, name, getattr(self, name) + value)
        self.severity[severity] = self.severity.get(severity, 0) + n[0]


def _segments(windows: Sequence[Window]) -> list[Window]:
    """The disjoint pieces that every window is a union of (the report's period, the one before and
    the chart's weeks overlap), so one scan of the tickets serves them all."""
    edges = sorted({w.start for w in windows} | {w.end for w in windows})
    return [Window(a, b) for a, b in itertools.pairwise(edges)]


def ticket_sums(
    session: Session, windows: Sequence[Window], *, distinct_accounts: Sequence[int] = ()
) -> dict[tuple[Bucket, str], Sums]:
    """Per (window index, served tier): counts, sums and the severity mix, from one grouped scan over
    the disjoint segments of the windows; and the distinct accounts with tickets for the windows listed
    in `distinct_accounts` (which must not overlap), from a second scan (a COUNT DISTINCT does not add
    up over segments or severities)."""
    segments = _segments(windows)
    solved = Ticket.status.in_(SOLVED_STATUSES)
    inner = (
        select(
            _bucket(segments).label("bucket"),
            Ticket.sla_tier.label("tier"),
            Ticket.severity.label("severity"),
            case((solved, 1), else_=0).label("solved"),
            case((and_(solved, Ticket.agent_replies <= 1), 1), else_=0).label("fcr"),
            Ticket.first_response_minutes.label("fr"),
            Ticket.resolution_minutes.label("res"),
            case((Ticket.first_response_met.is_not(None), 1), else_=0).label("fr_dec"),
            case((Ticket.first_response_met.is_(True), 1), else_=0).label("fr_met"),
            case((Ticket.resolution_met.is_not(None), 1), else_=0).label("res_dec"),
            case((Ticket.resolution_met.is_(True), 1), else_=0).label("res_met"),
            Ticket.csat.label("csat"),
            Ticket.handle_minutes.label("handle"),
        )
        .where(Ticket.created_at >= segments[0].start, Ticket.created_at < segments[-1].end)
        .subquery()
    )
    c = inner.c
    measures = [
        func.count(), func.sum(c.solved), func.sum(c.fcr), func.sum(c.fr), func.count(c.fr), func.sum(c.res),
        func.count(c.res), func.sum(c.fr_dec), func.sum(c.fr_met), func.sum(c.res_dec), func.sum(c.res_met),
        func.sum(c.csat), func.count(c.csat), func.sum(c.handle),
    ]  # fmt: skip
    rows = session.execute(
        select(c.bucket, c.tier, c.severity, *measures)
        .where(c.bucket >= 0)
        .group_by(c.bucket, c.tier, c.severity)
    ).all()
    out: dict[tuple[Bucket, str], Sums] = defaultdict(Sums)
    for bucket, tier, severity, *values in rows:
        segment = segments[int(bucket)]
        n = [int(v or 0) for v in values]
        for i, w in enumerate(windows):
            if w.start <= segment.start and segment.end <= w.end:
                out[i, tier].add(severity, n)
    if distinct_accounts:
        chosen = [windows[i] for i in distinct_accounts]
        acc = (
            select(
                _bucket(chosen).label("bucket"), Ticket.sla_tier.label("tier"), Ticket.account_id.label("aid")
            )
            .where(
                Ticket.created_at >= min(w.start for w in chosen),
                Ticket.created_at < max(w.end for w in chosen),
            )
            .subquery()
        )
        counted = session.execute(
            select(acc.c.bucket, acc.c.tier, func.count(distinct(acc.c.aid)))
            .where(acc.c.bucket >= 0)
            .group_by(acc.c.bucket, acc.c.tier)
        )
        for bucket, tier, count in counted:
            out[distinct_accounts[int(bucket)], tier].accounts = int(count or 0)
    return dict(out)


def open_breaches(
    session: Session, policy: Policy, now: datetime, at_risk_share: float, windows: Sequence[Window]
) -> dict[tuple[Bucket, str], tuple[int, int]]:
    """(first response, resolution) clocks of still-open tickets already breached at `now`, per window
    and served tier. A ticket created in several windows (a week inside the period) counts in each."""
    lo, hi = min(w.start for w in windows), max(w.end for w in windows)
    scope = [Ticket.created_at >= lo, Ticket.created_at < hi]
    created: dict[str, datetime] = {
        tid: at for tid, at in session.execute(select(Ticket.id, Ticket.created_at).where(is_open(), *scope))
    }
    out: dict[tuple[Bucket, str], tuple[int, int]] = {}
    if not created:
        return out
    for state in iter_states(session, policy, now, at_risk_share, scope, tier_column=Ticket.sla_tier):
        if state.state != BREACHED:
            continue
        at = created.get(state.ticket_id)
        if at is None:
            continue
        for i, w in enumerate(windows):
            if w.start <= at < w.end:
                fr, res = out.get((i, state.tier), (0, 0))
                out[i, state.tier] = (fr + 1, res) if state.metric == FIRST_RESPONSE else (fr, res + 1)
    return out


@dataclass(frozen=True)
class TierAccounts:
    accounts: int
    acv: Decimal
    health_avg: float | None


def accounts_by_tier(session: Session) -> dict[str, TierAccounts]:
    """Accounts, total ACV and mean health score per current tier (one scan of accounts)."""
    rows = session.execute(
        select(Account.tier, func.count(), func.sum(Account.acv), func.avg(Account.health_score)).group_by(
            Account.tier
        )
    )
    return {
        tier: TierAccounts(
            int(n), Decimal(acv or 0).quantize(Decimal("0.01")), None if h is None else float(h)
        )
        for tier, n, acv, h in rows
    }


def tier_moves(session: Session, window: Window) -> dict[str, tuple[int, Decimal]]:
    """Net accounts and ACV that moved into each tier during the window (joined minus left), from the
    tier history, ACV valued at today's figure. New accounts join (no `from_tier`)."""
    moved = and_(
        TierChange.at >= window.start,
        TierChange.at < window.end,
        (TierChange.from_tier.is_(None)) | (TierChange.from_tier != TierChange.to_tier),
    )
    out: dict[str, tuple[int, Decimal]] = {}
    for column, sign in ((TierChange.to_tier, 1), (TierChange.from_tier, -1)):
        rows = session.execute(
            select(column, func.count(), func.sum(Account.acv))
            .join(Account, Account.id == TierChange.account_id)
            .where(moved, column.is_not(None))
            .group_by(column)
        )
        for tier, n, acv in rows:
            if tier is None:
                continue
            count, value = out.get(tier, (0, Decimal(0)))
            out[tier] = (count + sign * int(n), value + sign * Decimal(acv or 0))
    return out
