"""The per-tier report's front door: `tier_report` for `/sla report`, the weekly `tier-report` job and
`tierbot report`.

Per tier (the policy's, highest first, plus any tier tickets were served under that the policy no
longer has) for a rolling period and the one before it: the `bot.sla.metrics.PeriodMetrics` of the
tickets created in each (MTTA, MTTR, first-contact resolution, attainment, CSAT, severity mix, support
cost per account), the tier's accounts and ACV now with the net change from tier moves in the period,
and the weekly series the chart draws (attainment and MTTR per tier per week, 12 weeks).
Plain data; the words and the chart are `bot.views.report` and `bot.views.report_chart`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy.orm import Session

from bot.digest.access import MemberCheck, Refused
from bot.digest.periods import CadenceRefusal, Occurrence, occurrences
from bot.policy.model import SEVERITIES, Policy
from bot.reports import aggregate, subscriptions
from bot.reports.aggregate import Sums
from bot.reports.periods import DEFAULT_PERIOD, ReportPeriod, Window, parse_period, windows
from bot.reports.subscriptions import (
    ReportSubscribed,
    ReportUnsubscribed,
    WeeklyReportSubscription,
    is_weekly_report,
)
from bot.sla.metrics import PeriodMetrics
from storage.db import Database

__all__ = [
    "DEFAULT_PERIOD",
    "CadenceRefusal",
    "MemberCheck",
    "Occurrence",
    "PeriodMetrics",
    "Refused",
    "ReportPeriod",
    "ReportSubscribed",
    "ReportUnsubscribed",
    "TierReport",
    "TierRow",
    "WeekPoint",
    "WeeklyReportSubscription",
    "active_subscriptions",
    "due_weeks",
    "is_weekly_report",
    "mark_checked",
    "parse_period",
    "subscribe_weekly",
    "tier_report",
    "unsubscribe_weekly",
]


@dataclass(frozen=True)
class TierRow:
    tier: str  # key
    name: str  # the policy's display name (the key when the policy no longer has the tier)
    accounts: int  # accounts in the tier now
    acv: Decimal  # their total ACV now
    accounts_change: int  # net accounts that moved into the tier during the period
    acv_change: Decimal  # the ACV of those moves, at today's ACV
    health_avg: float | None  # mean health score of the tier's accounts now
    current: PeriodMetrics
    previous: PeriodMetrics


@dataclass(frozen=True)
class WeekPoint:
    start: datetime
    end: datetime
    attainment: float | None  # share 0-1 of decided targets met, both pooled (breached open clocks missed)
    mttr_minutes: float | None  # mean over tickets solved among those created that week
    tickets: int


@dataclass(frozen=True)
class TierReport:
    period: ReportPeriod
    start: datetime
    end: datetime  # exclusive: midnight UTC after the day the report was made
    previous_start: datetime
    rows: tuple[TierRow, ...]
    weeks: dict[str, tuple[WeekPoint, ...]]  # tier key -> CHART_WEEKS points, oldest first

    @property
    def last_day(self) -> datetime:
        """The period's last day (inclusive), for display."""
        return self.end - timedelta(days=1)

    @property
    def empty(self) -> bool:
        return not any(r.current.tickets or r.previous.tickets or r.accounts for r in self.rows)


def _metrics(window: Window, s: Sums | None, breached: tuple[int, int], hourly: Decimal) -> PeriodMetrics:
    s = s or Sums()
    fr_decided = s.fr_decided + breached[0]
    res_decided = s.res_decided + breached[1]
    severity = {sev: s.severity.get(sev, 0) for sev in SEVERITIES} | s.severity
    cost = (Decimal(s.handle_minutes) / 60 * hourly).quantize(Decimal("0.01"))
    return PeriodMetrics(
        start=window.start,
        end=window.end,
        tickets=s.tickets,
        solved=s.solved,
        mtta_minutes=s.fr_sum / s.fr_n if s.fr_n else None,
        mttr_minutes=s.res_sum / s.res_n if s.res_n else None,
        fcr_share=s.fcr / s.solved if s.solved else None,
        first_response_decided=fr_decided,
        first_response_met=s.fr_met,
        resolution_decided=res_decided,
        resolution_met=s.res_met,
        csat_avg=s.csat_sum / s.csat_n if s.csat_n else None,
        csat_responses=s.csat_n,
        severity_counts=severity,
        severity_mix={k: v / s.tickets for k, v in severity.items()} if s.tickets else {},
        handle_hours=s.handle_minutes / 60,
        support_cost=cost,
        accounts=s.accounts,
    )


def tier_report(
    session: Session,
    policy: Policy,
    period: ReportPeriod,
    *,
    now: datetime,
    at_risk_share: float,
    weekly: bool = True,
) -> TierReport:
    """The report for the period ending at `now`; open tickets are judged at `now`. `weekly=False`
    leaves out the chart's weekly series (`weeks` is empty)."""
    w = windows(period, now)
    pair = (w.current, w.previous)
    # Window i of the report; the weeks are 2..13. Without the weekly series (no chart to draw) a 7d
    # report reads 14 days of tickets instead of 84.
    weeks = w.weeks if weekly else ()
    every = (*pair, *weeks)
    sums = aggregate.ticket_sums(session, every, distinct_accounts=(0, 1))
    breaches = aggregate.open_breaches(session, policy, now, at_risk_share, every)
    accounts = aggregate.accounts_by_tier(session)
    moves = aggregate.tier_moves(session, w.current)

    keys = [t.key for t in policy.tiers]
    seen = {tier for (_, tier) in sums} | set(accounts)
    keys += sorted(seen - set(keys))  # tiers the policy dropped still have history to show
    rows: list[TierRow] = []
    series: dict[str, tuple[WeekPoint, ...]] = {}
    for key in keys:
        try:
            tier = policy.tier(key)
            name, hourly = tier.name, tier.hourly_cost
        except KeyError:
            name, hourly = key, Decimal(0)  # its cost rate is unknown, not guessed
        acc = accounts.get(key, aggregate.TierAccounts(0, Decimal(0), None))
        moved, moved_acv = moves.get(key, (0, Decimal(0)))
        rows.append(
            TierRow(
                tier=key,
                name=name,
                accounts=acc.accounts,
                acv=acc.acv,
                accounts_change=moved,
                acv_change=moved_acv.quantize(Decimal("0.01")),
                health_avg=acc.health_avg,
                current=_metrics(w.current, sums.get((0, key)), breaches.get((0, key), (0, 0)), hourly),
                previous=_metrics(w.previous, sums.get((1, key)), breaches.get((1, key), (0, 0)), hourly),
            )
        )
        points = []
        for i, week in enumerate(weeks):
            m = _metrics(week, sums.get((i + 2, key)), breaches.get((i + 2, key), (0, 0)), hourly)
            points.append(WeekPoint(week.start, week.end, m.sla_attainment, m.mttr_minutes, m.tickets))
        if weekly:
            series[key] = tuple(points)
    return TierReport(period, w.current.start, w.current.end, w.previous.start, tuple(rows), series)


# --- weekly report subscriptions (`/digest subscribe #ch weekly-report mon 09:00`) -------------------


def subscribe_weekly(
    db: Database,
    args: list[str],
    channel_id: str,
    user: str,
    now: datetime,
    default_tz: str,
    *,
    admin: bool,
    member_of: MemberCheck,
) -> ReportSubscribed | CadenceRefusal | Refused:
    """Create or replace the channel's weekly report schedule from the words after `subscribe`;
    refused, like a digest, unless the person is in the channel or an admin."""
    return subscriptions.subscribe(
        db, args, channel_id, user, now, default_tz, admin=admin, member_of=member_of
    )


def unsubscribe_weekly(
    db: Database, args: list[str], channel_id: str, *, admin: bool, member_of: MemberCheck
) -> ReportUnsubscribed | CadenceRefusal | Refused:
    return subscriptions.unsubscribe(db, args, channel_id, admin=admin, member_of=member_of)


def active_subscriptions(db: Database) -> list[WeeklyReportSubscription]:
    return subscriptions.active(db)


def due_weeks(sub: WeeklyReportSubscription, after: datetime, until: datetime) -> list[Occurrence]:
    """The subscription's posting times in (after, until], oldest first."""
    return occurrences(sub.cadence, after, until)


def mark_checked(db: Database, sub: WeeklyReportSubscription, until: datetime) -> None:
    subscriptions.checked(db, sub.id, until)
