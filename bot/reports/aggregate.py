"""The report's SQL: every measure is a grouped aggregate computed by the database.

Tickets are read once over [earliest window start, end of today), grouped by UTC day of `created_at`
(`utc_day`: a text prefix on SQLite, `to_char` on PostgreSQL), served tier (`Ticket.sla_tier`, as
`bot.sla.metrics` scopes a tier) and severity: at most 182 days x tiers x 4 rows come back, and the
windows (period, previous period, the chart's weeks) are sums of whole days.

Every column summed is in the covering index `ix_tickets_created_at_report` (migration 0010), so the
scan never reads the table. Still-open tickets already past a target count as missed, as in
`bot.sla.metrics.period_metrics`: their clocks are read once with `iter_breaches` (open tickets only,
through the partial index; no `TicketState` per clock).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, and_, case, distinct, func, select, text
from sqlalchemy.orm import Session

from bot.policy.model import Policy
from bot.reports.periods import Window
from bot.sla.clock import FIRST_RESPONSE
from bot.sla.sqltime import utc_day
from bot.sla.state import iter_breaches
from storage.models import Account, TierChange
from storage.models.tickets import SOLVED_STATUSES, Ticket

Bucket = int  # index into the windows given to a query


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


def ticket_sums(
    session: Session, windows: Sequence[Window], *, distinct_accounts: Sequence[int] = ()
) -> dict[tuple[Bucket, str], Sums]:
    """Per (window index, served tier): counts, sums and the severity mix, from one scan grouped by
    UTC day, tier and severity (windows are whole UTC days; each day's sums are added to every window
    that holds it); and the distinct accounts with tickets for the windows listed in
    `distinct_accounts` (`accounts_with_tickets`)."""
    lo, hi = min(w.start for w in windows), max(w.end for w in windows)
    solved = Ticket.status.in_(SOLVED_STATUSES)
    day = utc_day(Ticket.created_at)
    measures = [
        func.count(), _count_if(solved), _count_if(and_(solved, Ticket.agent_replies <= 1)),
        func.sum(Ticket.first_response_minutes), func.count(Ticket.first_response_minutes),
        func.sum(Ticket.resolution_minutes), func.count(Ticket.resolution_minutes),
        func.count(Ticket.first_response_met), _count_if(Ticket.first_response_met.is_(True)),
        func.count(Ticket.resolution_met), _count_if(Ticket.resolution_met.is_(True)),
        func.sum(Ticket.csat), func.count(Ticket.csat), func.sum(Ticket.handle_minutes),
    ]  # fmt: skip
    # Windows are whole UTC days, so both ranges select the same rows. SQLite ranges over the day itself
    # to read `ix_tickets_day_report` (migration 0010), which holds the rows in the grouping's order:
    # no sort of half a million rows (it has no hash aggregate). PostgreSQL ranges over created_at.
    if session.get_bind().dialect.name == "sqlite":
        scope = and_(day >= lo.date().isoformat(), day < hi.date().isoformat())
    else:
        scope = and_(Ticket.created_at >= lo, Ticket.created_at < hi)
        # PostgreSQL cannot estimate the groups of a to_char() day (it guessed 508,776 for 2,184) and
        # with the default 4 MB work_mem sorted half a million rows on disk for a quarter (1.05 s);
        # with room for a hash table it hashes them (0.6 s). For this transaction only.
        session.execute(text("SET LOCAL work_mem = '64MB'"))
    rows = session.execute(
        select(day, Ticket.sla_tier, Ticket.severity, *measures)
        .where(scope)
        .group_by(day, Ticket.sla_tier, Ticket.severity)
    ).all()
    spans = [(w.start.date().isoformat(), w.end.date().isoformat()) for w in windows]
    out: dict[tuple[Bucket, str], Sums] = defaultdict(Sums)
    for name, tier, severity, *values in rows:
        n = [int(v or 0) for v in values]
        for i, (first, after) in enumerate(spans):
            if first <= name < after:
                out[i, tier].add(severity, n)
    for (i, tier), count in accounts_with_tickets(session, windows, distinct_accounts).items():
        out[i, tier].accounts = count
    return dict(out)


def accounts_with_tickets(
    session: Session, windows: Sequence[Window], which: Sequence[Bucket]
) -> dict[tuple[Bucket, str], int]:
    """Distinct accounts with tickets per (window index, served tier), for the windows listed in
    `which` (they must not overlap): one grouped pass over their span, from the covering index alone
    (a COUNT DISTINCT does not add up over days, so it cannot come from the daily sums)."""
    if not which:
        return {}
    listed = {i: windows[i] for i in which}
    bucket = case(
        *((and_(Ticket.created_at >= w.start, Ticket.created_at < w.end), i) for i, w in listed.items())
    )
    since, until = min(w.start for w in listed.values()), max(w.end for w in listed.values())
    counted = session.execute(
        select(Ticket.sla_tier, bucket, func.count(distinct(Ticket.account_id)))
        .where(Ticket.created_at >= since, Ticket.created_at < until)
        .group_by(Ticket.sla_tier, bucket)
    )
    return {(int(i), tier): int(count or 0) for tier, i, count in counted if i is not None}


def open_breaches(
    session: Session, policy: Policy, now: datetime, at_risk_share: float, windows: Sequence[Window]
) -> dict[tuple[Bucket, str], tuple[int, int]]:
    """(first response, resolution) clocks of still-open tickets already breached at `now`, per window
    and tier (`iter_breaches`: the served tier, as `iter_states` assigns it). A ticket created in
    several windows (a week inside the period) counts in each."""
    spans = [(w.start.timestamp(), w.end.timestamp()) for w in windows]
    out: dict[tuple[Bucket, str], tuple[int, int]] = {}
    # Every open ticket is read through the partial index `ix_tickets_open` and the windows applied
    # here: a created_at range in the SQL makes SQLite walk the range's index instead (measured:
    # twice the time over 30,000 open tickets).
    for breach in iter_breaches(session, policy, now, at_risk_share):
        for i, (start, end) in enumerate(spans):
            if start <= breach.created_ts < end:
                fr, res = out.get((i, breach.tier), (0, 0))
                first = breach.metric == FIRST_RESPONSE
                out[i, breach.tier] = (fr + 1, res) if first else (fr, res + 1)
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
