"""The `tier-changes` job: post each account's net tier change to TIER_CHANGES_CHANNEL, once per
quiet period (TIER_CHANGE_QUIET_HOURS), through the delivery ledger."""

from __future__ import annotations

from functools import partial

from bot.schedule.context import JobContext, JobSpec
from bot.schedule.ledger import DeliveryKey
from bot.schedule.poster import payload
from bot.services import Services
from bot.tierchanges.service import tier_change_alerts
from bot.views.tier_changes import alert_message

TIER_CHANGES = "tier-changes"
PER_RUN = 50  # a policy change can move thousands: post at most this many a tick, the rest next tick


def run_tier_changes(ctx: JobContext[Services]) -> None:
    ctx.outcomes.extend(ctx.poster.retry_due(TIER_CHANGES))
    settings = ctx.services.settings
    channel = settings.tier_changes_channel
    if not channel:
        return
    with ctx.services.db.session() as session:
        alerts = tier_change_alerts(session, ctx.services.policy, ctx.at, settings.tier_change_quiet_hours)
    posted = 0
    for alert in alerts:
        if posted >= PER_RUN:
            ctx.note(f"tier-changes: {len(alerts) - posted} more wait for the next run")
            break
        key = DeliveryKey(TIER_CHANGES, f"{channel}:{alert.account_id}", alert.period)
        outcome = ctx.poster.deliver(key, partial(payload, alert_message(alert), channel=channel))
        ctx.outcomes.append(outcome)
        posted += outcome.status not in ("exists", "skipped")


JOBS: list[JobSpec[Services]] = [
    JobSpec(TIER_CHANGES, "Post accounts that moved tier to TIER_CHANGES_CHANNEL, netted per quiet period.",
            run_tier_changes),
]  # fmt: skip
