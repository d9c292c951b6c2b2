"""The `tier-changes` job: post accounts that moved tier to TIER_CHANGES_CHANNEL, per account quiet
window (TIER_CHANGE_QUIET_HOURS, see bot/tierchanges/service.py), through the delivery ledger.

Each report is claimed in the ledger in the same transaction as the account's report state, then
posted: a crash between the two leaves a claimed row that `retry_due` posts on the next tick."""

from __future__ import annotations

from bot.schedule.context import JobContext, JobSpec
from bot.schedule.ledger import Claimed, DeliveryKey
from bot.schedule.poster import payload
from bot.services import Services
from bot.tierchanges.service import due_reports, mark_reported
from bot.views.tier_changes import alert_message

TIER_CHANGES = "tier-changes"
PER_RUN = 50  # a policy change can move thousands: post at most this many a tick, the rest next tick


def run_tier_changes(ctx: JobContext[Services]) -> None:
    ctx.outcomes.extend(ctx.poster.retry_due(TIER_CHANGES))
    settings = ctx.services.settings
    channel = settings.tier_changes_channel
    if not channel:
        return
    quiet = settings.tier_change_quiet_hours
    claimed: list[Claimed] = []
    with ctx.session() as session:
        alerts = due_reports(session, ctx.services.policy, ctx.at, quiet)
        for alert in alerts[:PER_RUN]:
            key = DeliveryKey(TIER_CHANGES, f"{channel}:{alert.account_id}", alert.period)
            claim = ctx.poster.claim(session, key, payload(alert_message(alert), channel=channel))
            mark_reported(session, alert, ctx.at, quiet)
            if claim is not None:
                claimed.append(claim)
    if len(alerts) > PER_RUN:
        ctx.note(f"tier-changes: {len(alerts) - PER_RUN} more wait for the next run")
    for claim in claimed:
        ctx.outcomes.append(ctx.poster.post(claim))


JOBS: list[JobSpec[Services]] = [
    JobSpec(TIER_CHANGES, "Post accounts that moved tier to TIER_CHANGES_CHANNEL, netted per quiet period.",
            run_tier_changes),
]  # fmt: skip
