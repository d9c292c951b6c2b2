"""The `tier-report` job: the weekly per-tier report, posted to each subscribed channel once a week,
then its chart shared in the channel (`files_upload_v2`) as a follow-up with its own ledger key.

Keys: `tier-report` / `tier-report-chart`, target the channel, period the week's local posting time
(`weekly:2026-11-23T09:00+01:00`): two runs, two processes or a restart post each once. A week owed
from before the grace (`MISSED_POST_GRACE_HOURS`) is recorded as skipped; of several owed weeks only
the newest is posted (the others would show the same rolling 7 days).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from functools import partial

from bot.reports import service as reports
from bot.reports.service import TierReport, WeeklyReportSubscription
from bot.schedule.context import JobContext, JobSpec
from bot.schedule.ledger import DeliveryKey
from bot.schedule.poster import Outcome, Payload, payload, upload_payload
from bot.services import Services
from bot.views import report as report_view
from bot.views import report_chart
from storage.models.schedule import SENT

log = logging.getLogger(__name__)

TIER_REPORT = "tier-report"
TIER_REPORT_CHART = "tier-report-chart"
PERIOD = reports.ReportPeriod.WEEK
MAX_LOOKBACK = timedelta(days=35)

Context = JobContext[Services]


def catch_up_window(ctx: Context) -> timedelta:
    """How late a week may still be posted: the grace, and at least two scheduler ticks."""
    settings = ctx.services.settings
    return max(
        timedelta(hours=settings.missed_post_grace_hours),
        timedelta(seconds=2 * settings.scheduler_tick_seconds),
    )


class _Reports:
    """One report per posting time, computed at most once per run whatever the number of channels."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self._made: dict[datetime, TierReport] = {}

    def at(self, when: datetime) -> TierReport:
        if when not in self._made:
            services = self.ctx.services
            with services.db.session() as session:
                self._made[when] = reports.tier_report(
                    session, services.policy, PERIOD, now=when, at_risk_share=services.settings.at_risk_share
                )
        return self._made[when]


def _message(made: _Reports, channel: str, when: datetime) -> Payload:
    note = "The chart (attainment and MTTR per tier, 12 weeks) follows."
    return payload(report_view.report_message(made.at(when), chart_note=note), channel=channel)


def _chart(made: _Reports, channel: str, when: datetime) -> Payload:
    report = made.at(when)
    return upload_payload(
        report_chart.render_png(report),
        channel=channel,
        filename=f"tier-report-{report.last_day:%Y-%m-%d}.png",
        title=f"Per-tier attainment and MTTR, 12 weeks to {report.last_day:%d %b %Y}",
        comment="Attainment per tier per week and MTTR per tier, last 12 weeks.",
    )


def _share_chart(ctx: Context, made: _Reports, outcome: Outcome, when: datetime) -> None:
    if outcome.status not in (SENT, "dry_run"):
        return  # the chart follows the report; a report still pending brings its chart when it is sent
    key = DeliveryKey(TIER_REPORT_CHART, outcome.key.target, outcome.key.period)
    ctx.outcomes.append(ctx.poster.deliver(key, lambda: _chart(made, outcome.key.target, when)))


def _subscription(ctx: Context, made: _Reports, sub: WeeklyReportSubscription) -> None:
    services = ctx.services
    watermark = max(sub.checked_until or sub.created_at, ctx.at - MAX_LOOKBACK)
    owed = reports.due_weeks(sub, watermark, ctx.at)
    grace = catch_up_window(ctx)
    for i, occ in enumerate(owed):
        key = DeliveryKey(TIER_REPORT, sub.channel, occ.key)
        if i < len(owed) - 1:
            ctx.outcomes.append(ctx.poster.skip(key, f"superseded: {owed[-1].key} is posted instead"))
        elif occ.at < ctx.at - grace:
            reason = f"missed: due {occ.at.isoformat()} and not posted then; beyond the grace (MISSED_POST_GRACE_HOURS)"
            ctx.outcomes.append(ctx.poster.skip(key, reason))
        else:
            outcome = ctx.poster.deliver(key, partial(_message, made, sub.channel, occ.at))
            ctx.outcomes.append(outcome)
            _share_chart(ctx, made, outcome, occ.at)
    if not ctx.dry_run:
        reports.mark_checked(services.db, sub, ctx.at)


def run_tier_report(ctx: Context) -> None:
    made = _Reports(ctx)
    ctx.outcomes.extend(ctx.poster.retry_due(TIER_REPORT_CHART))
    for outcome in ctx.poster.retry_due(TIER_REPORT):
        ctx.outcomes.append(outcome)
        _share_chart(ctx, made, outcome, ctx.at)  # a late report gets the chart as of now
    for sub in reports.active_subscriptions(ctx.services.db):
        try:
            _subscription(ctx, made, sub)
        except Exception:
            log.exception("weekly report for %s failed", sub.channel)


JOBS: list[JobSpec[Services]] = [
    JobSpec(
        TIER_REPORT,
        "Post the weekly per-tier report and its chart to channels subscribed with `weekly-report`.",
        run_tier_report,
    ),
]
