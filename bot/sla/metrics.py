"""Support metrics over tickets created in a period, for an account, a tier or everything.

Decided SLA outcomes and durations are stored on each ticket when it is written, so nearly everything is
one grouped SQL aggregate. Still-open tickets are the exception: one that is already past its target
counts as missed (an unanswered, breached ticket must lower attainment, not vanish from it), which needs
its live clock; there are few of them and the `status` index finds them.

Scope: `tier` filters on the tier each ticket was served under (`Ticket.sla_tier`, its account's tier
when the ticket was written), so a tier's history does not change when an account moves tier.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, and_, case, distinct, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from bot.policy.model import SEVERITIES, Policy
from bot.sla.clock import BREACHED, FIRST_RESPONSE
from bot.sla.state import iter_states
from storage.models import Account
from storage.models.tickets import SOLVED_STATUSES, Ticket


class SupportMetric(StrEnum):
    """The metrics a decision's review trigger can watch (stored by name on `ReviewTrigger.metric`)."""

    RESOLUTION_TIME = "resolution_time"  # median hours created -> solved, over solved tickets
    FIRST_RESPONSE_TIME = "first_response_time"  # median hours created -> first response
    SLA_ATTAINMENT = "sla_attainment"  # percent of decided targets met, both metrics pooled
    SUPPORT_COST_PER_ACCOUNT = "support_cost_per_account"  # $ of handling time per account with tickets
    HEALTH_SCORE = "health_score"  # mean Account.health_score of the scope (period-independent)
    SEVERITY_MIX_SHARE = "severity_mix_share"  # percent of tickets that were sev1 or sev2


METRIC_NAMES = tuple(SupportMetric)


@dataclass(frozen=True)
class PeriodMetrics:
    start: datetime
    end: datetime
    tickets: int = 0
    solved: int = 0
    mtta_minutes: float | None = None  # mean, wall clock
    median_tta_minutes: float | None = None
    mttr_minutes: float | None = None  # mean over solved tickets, wall clock (pauses included)
    median_ttr_minutes: float | None = None
    fcr_share: float | None = None  # solved with at most one agent reply / solved
    first_response_decided: int = 0
    first_response_met: int = 0
    resolution_decided: int = 0
    resolution_met: int = 0
    csat_avg: float | None = None  # 1-5
    csat_responses: int = 0
    severity_counts: dict[str, int] = field(default_factory=dict)
    severity_mix: dict[str, float] = field(default_factory=dict)  # share 0-1 per severity
    handle_hours: float = 0.0
    support_cost: Decimal = Decimal(0)
    accounts: int = 0  # distinct accounts with tickets in the period
    health_score_avg: float | None = None

    @property
    def first_response_attainment(self) -> float | None:
        return _share(self.first_response_met, self.first_response_decided)

    @property
    def resolution_attainment(self) -> float | None:
        return _share(self.resolution_met, self.resolution_decided)

    @property
    def sla_attainment(self) -> float | None:
        """Share of decided targets met, both metrics pooled."""
        return _share(
            self.first_response_met + self.resolution_met,
            self.first_response_decided + self.resolution_decided,
        )

    @property
    def support_cost_per_account(self) -> Decimal | None:
        return (self.support_cost / self.accounts).quantize(Decimal("0.01")) if self.accounts else None


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _count_if(condition: ColumnElement[bool]) -> Any:
    return func.sum(case((condition, 1), else_=0))


def scope_conditions(
    start: datetime, end: datetime, tier: str | None, account_id: int | None
) -> list[ColumnElement[bool]]:
    conditions = [Ticket.created_at >= start, Ticket.created_at < end]
    if tier is not None:
        conditions.append(Ticket.sla_tier == tier)
    if account_id is not None:
        conditions.append(Ticket.account_id == account_id)
    return conditions


def period_metrics(
    session: Session,
    policy: Policy,
    start: datetime,
    end: datetime,
    tier: str | None = None,
    account_id: int | None = None,
    *,
    now: datetime | None = None,
    at_risk_share: float = 0.25,
) -> PeriodMetrics:
    """Metrics of tickets created in [start, end); `now` judges still-open tickets (default: now)."""
    now = now or datetime.now(UTC)
    scope = scope_conditions(start, end, tier, account_id)
    solved = Ticket.status.in_(SOLVED_STATUSES)
    rows = session.execute(
        select(
            Ticket.severity,
            Ticket.sla_tier,
            func.count(),
            _count_if(solved),
            _count_if(and_(solved, Ticket.agent_replies <= 1)),
            func.sum(Ticket.first_response_minutes),
            func.count(Ticket.first_response_minutes),
            func.sum(Ticket.resolution_minutes),
            func.count(Ticket.resolution_minutes),
            func.count(Ticket.first_response_met),
            _count_if(Ticket.first_response_met.is_(True)),
            func.count(Ticket.resolution_met),
            _count_if(Ticket.resolution_met.is_(True)),
            func.sum(Ticket.csat),
            func.count(Ticket.csat),
            func.sum(Ticket.handle_minutes),
        )
        .where(*scope)
        .group_by(Ticket.severity, Ticket.sla_tier)
    ).all()
    totals = [0] * 14
    by_severity: dict[str, int] = dict.fromkeys(SEVERITIES, 0)
    cost = Decimal(0)
    for severity, sla_tier, *values in rows:
        nums = [int(v or 0) for v in values]
        totals = [a + b for a, b in zip(totals, nums, strict=True)]
        by_severity[severity] = by_severity.get(severity, 0) + nums[0]
        try:
            hourly = policy.tier(sla_tier).hourly_cost
        except KeyError:
            hourly = Decimal(0)  # a tier removed from the policy: its cost is unknown, not guessed
        cost += Decimal(nums[13]) / 60 * hourly
    (count, n_solved, fcr, fr_sum, fr_n, res_sum, res_n, fr_dec, fr_met, res_dec, res_met, csat_sum, csat_n,
     handle) = totals  # fmt: skip

    # Open tickets already past a target count as missed.
    for state in iter_states(session, policy, now, at_risk_share, scope, tier_column=Ticket.sla_tier):
        if state.state == BREACHED:
            if state.metric == FIRST_RESPONSE:
                fr_dec += 1
            else:
                res_dec += 1

    accounts = session.scalar(select(func.count(distinct(Ticket.account_id))).where(*scope)) or 0
    return PeriodMetrics(
        start=start,
        end=end,
        tickets=count,
        solved=n_solved,
        mtta_minutes=fr_sum / fr_n if fr_n else None,
        median_tta_minutes=_median(session, Ticket.first_response_minutes, scope, fr_n),
        mttr_minutes=res_sum / res_n if res_n else None,
        median_ttr_minutes=_median(session, Ticket.resolution_minutes, scope, res_n),
        fcr_share=_share(fcr, n_solved),
        first_response_decided=fr_dec,
        first_response_met=fr_met,
        resolution_decided=res_dec,
        resolution_met=res_met,
        csat_avg=csat_sum / csat_n if csat_n else None,
        csat_responses=csat_n,
        severity_counts=by_severity,
        severity_mix={s: n / count for s, n in by_severity.items()} if count else {},
        handle_hours=handle / 60,
        support_cost=cost.quantize(Decimal("0.01")),
        accounts=accounts,
        health_score_avg=health_score(session, tier, account_id),
    )


def _median(
    session: Session, column: InstrumentedAttribute[int | None], scope: list[ColumnElement[bool]], n: int
) -> float | None:
    """Median by ORDER BY ... OFFSET, which every backend has (SQLite has no percentile function)."""
    if n == 0:
        return None
    middle = session.scalars(
        select(column)
        .where(*scope, column.is_not(None))
        .order_by(column)
        .offset((n - 1) // 2)
        .limit(2 - n % 2)
    ).all()
    values = [v for v in middle if v is not None]
    return sum(values) / len(values) if values else None


def health_score(session: Session, tier: str | None, account_id: int | None) -> float | None:
    """Mean health score of the account, or of the accounts currently in the tier, or of all."""
    stmt = select(func.avg(Account.health_score))
    if account_id is not None:
        stmt = stmt.where(Account.id == account_id)
    if tier is not None:
        stmt = stmt.where(Account.tier == tier)
    value = session.scalar(stmt)
    return None if value is None else float(value)


def metric_value(metrics: PeriodMetrics, name: str) -> float | None:
    """One named metric in the unit review triggers use (hours, percent, dollars, score)."""
    if name == SupportMetric.RESOLUTION_TIME:
        return None if metrics.median_ttr_minutes is None else metrics.median_ttr_minutes / 60
    if name == SupportMetric.FIRST_RESPONSE_TIME:
        return None if metrics.median_tta_minutes is None else metrics.median_tta_minutes / 60
    if name == SupportMetric.SLA_ATTAINMENT:
        share = metrics.sla_attainment
        return None if share is None else share * 100
    if name == SupportMetric.SUPPORT_COST_PER_ACCOUNT:
        cost = metrics.support_cost_per_account
        return None if cost is None else float(cost)
    if name == SupportMetric.HEALTH_SCORE:
        return metrics.health_score_avg
    if name == SupportMetric.SEVERITY_MIX_SHARE:
        if not metrics.tickets:
            return None
        urgent = metrics.severity_counts.get("sev1", 0) + metrics.severity_counts.get("sev2", 0)
        return urgent * 100 / metrics.tickets
    raise ValueError(f"unknown metric {name!r}; known: {', '.join(METRIC_NAMES)}")


def measure(
    session: Session,
    policy: Policy,
    metric: str,
    scope_tier: str | None,
    scope_account_id: int | None,
    start: datetime,
    end: datetime,
) -> float | None:
    """A named metric for a scope and period, None when there is nothing to measure."""
    if metric not in METRIC_NAMES:
        raise ValueError(f"unknown metric {metric!r}; known: {', '.join(METRIC_NAMES)}")
    if metric == SupportMetric.HEALTH_SCORE:  # no ticket involved
        return health_score(session, scope_tier, scope_account_id)
    # Open tickets are judged at the end of the period, not by the wall clock: `jobs run --at` and
    # an injected clock must see the same numbers.
    return metric_value(
        period_metrics(session, policy, start, end, scope_tier, scope_account_id, now=end), metric
    )


def attainment_by_tier(session: Session, start: datetime, end: datetime) -> dict[str, tuple[int, int]]:
    """(met, decided) per served tier, first response and resolution pooled, for tickets created in
    [start, end), from stored outcomes only: one grouped query. Digests that already stream the open
    tickets add their breached clocks as missed, as `period_metrics` does."""
    rows = session.execute(
        select(
            Ticket.sla_tier,
            func.count(Ticket.first_response_met) + func.count(Ticket.resolution_met),
            _count_if(Ticket.first_response_met.is_(True)) + _count_if(Ticket.resolution_met.is_(True)),
        )
        .where(Ticket.created_at >= start, Ticket.created_at < end)
        .group_by(Ticket.sla_tier)
    )
    return {tier: (int(met or 0), int(decided or 0)) for tier, decided, met in rows}
