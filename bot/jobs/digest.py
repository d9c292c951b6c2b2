"""The `digests` and `breach-reposts` jobs, and the `notices` they send when a channel refuses us.

Missed periods: a period is owed from the subscription's `checked_until` on. One that started within
the grace (`missed_post_grace_hours`, at least two ticks) is posted when the scheduler gets to it; an
older one is recorded in the ledger as skipped with its reason and logged. When several periods are
owed at once (hourly digests after an outage), only the newest is posted: the older ones would show
the same tickets, so they are recorded as superseded.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from functools import partial

from bot.digest import service as digest
from bot.digest.periods import Occurrence, bucket
from bot.schedule.context import JobContext, JobSpec
from bot.schedule.ledger import DeliveryKey, status_of
from bot.schedule.poster import Outcome, Payload, payload
from bot.services import Services
from bot.views import digest as digest_view
from bot.views import digest_subs
from bot.views.format import duration, local_time
from storage.models.schedule import SENT

log = logging.getLogger(__name__)

DIGESTS = "digests"
BREACH_REPOSTS = "breach-reposts"
NOTICES = "notices"  # DMs about delivery problems; retried with the digests

DIGEST_LIMIT = 15
REPOST_LIMIT = 20  # two blocks each, inside Slack's 50
MAX_LOOKBACK = timedelta(days=35)  # older missed periods are not itemised (a long outage is logged once)

Context = JobContext[Services]


def catch_up_window(ctx: Context) -> timedelta:
    settings = ctx.services.settings
    return max(
        timedelta(hours=settings.missed_post_grace_hours),
        timedelta(seconds=2 * settings.scheduler_tick_seconds),
    )


def _render_digest(
    ctx: Context, sub: digest.Subscription, occ: Occurrence, keep: list[digest.Built]
) -> Payload:
    services = ctx.services
    built = digest.build(
        services.db,
        services.policy,
        sub,
        ctx.at,
        limit=DIGEST_LIMIT,
        at_risk_share=services.settings.at_risk_share,
    )
    keep.append(built)
    tz = sub.cadence.zone
    message = digest_view.digest_message(
        built.digest, services.policy, title_when=local_time(occ.at, tz), acks=built.acks, tz=tz
    )
    return payload(message, channel=sub.channel)


def _digest_subscription(ctx: Context, sub: digest.Subscription) -> None:
    services = ctx.services
    window = catch_up_window(ctx)
    start = max(sub.created_at, ctx.at - window)
    watermark = max(sub.checked_until or sub.created_at, ctx.at - MAX_LOOKBACK)
    if (sub.checked_until or sub.created_at) < ctx.at - MAX_LOOKBACK:
        ctx.note(
            f"digest {sub.channel}: periods before {watermark.isoformat()} were missed and are not itemised"
        )

    for occ in digest.periods(services.policy, sub, watermark, start):
        late = duration((ctx.at - occ.at).total_seconds() / 60)
        reason = (
            f"missed: due {local_time(occ.at, sub.cadence.zone)} and not posted then (no scheduler running, or "
            f"the job failing); {late} later is beyond the {services.settings.missed_post_grace_hours} h "
            "grace (MISSED_POST_GRACE_HOURS)"
        )
        ctx.outcomes.append(ctx.poster.skip(DeliveryKey(DIGESTS, sub.channel, occ.key), reason))

    # Periods the ledger already has (sent, pending, given up) are not ours to redo; a dry run skips
    # them too, so it shows what a real run would post.
    due = [
        o
        for o in digest.periods(services.policy, sub, start, ctx.at)
        if status_of(services.db, DeliveryKey(DIGESTS, sub.channel, o.key)) is None
    ]
    if due:
        newest = due[-1]
        for occ in due[:-1]:
            reason = f"superseded: {newest.key} is posted instead (same tickets, one message)"
            ctx.outcomes.append(ctx.poster.skip(DeliveryKey(DIGESTS, sub.channel, occ.key), reason))
        keep: list[digest.Built] = []
        key = DeliveryKey(DIGESTS, sub.channel, newest.key)
        outcome = ctx.poster.deliver(key, lambda: _render_digest(ctx, sub, newest, keep))
        ctx.outcomes.append(outcome)
        if not ctx.dry_run and keep and outcome.status != "exists":
            # The movement of the next digest is measured against this one, whether or not Slack took it.
            digest.keep_snapshot(services.db, sub, keep[0].digest)
        after_digest(ctx, outcome)

    if not ctx.dry_run:
        digest.mark_checked(services.db, sub, ctx.at)


def after_digest(ctx: Context, outcome: Outcome) -> None:
    """Bookkeeping after a digest post: clear a reported problem on success, report a new one once."""
    if ctx.dry_run or outcome.key.job != DIGESTS:
        return
    db = ctx.services.db
    channel = outcome.key.target
    sub = digest.subscription_of(db, channel)
    if sub is None:
        return
    if outcome.status == SENT:
        digest.delivered(db, sub)
        return
    if not outcome.channel_gone or not digest.first_problem(db, sub, ctx.at):
        return
    log.warning("digest for %s cannot be posted (%s); telling %s", channel, outcome.error, sub.created_by)
    message = digest_subs.channel_gone_message(channel, outcome.error or "")
    key = DeliveryKey(NOTICES, f"dm:{sub.created_by}", f"channel-gone:{channel}:{outcome.key.period}")
    ctx.outcomes.append(ctx.poster.deliver(key, lambda: payload(message, user=sub.created_by)))


def run_digests(ctx: Context) -> None:
    for job in (DIGESTS, NOTICES):
        for outcome in ctx.poster.retry_due(job):
            ctx.outcomes.append(outcome)
            after_digest(ctx, outcome)
    for sub in digest.active_subscriptions(ctx.services.db):
        try:
            _digest_subscription(ctx, sub)
        except Exception:
            # One broken subscription (a zone removed from tzdata, a policy change) must not stop the rest.
            log.exception("digest for %s failed", sub.channel)


def run_breach_reposts(ctx: Context) -> None:
    ctx.outcomes.extend(ctx.poster.retry_due(BREACH_REPOSTS))
    services = ctx.services
    minutes = services.settings.unacked_repost_minutes
    period, _start = bucket(ctx.at, minutes)
    top = services.policy.tiers[0].key
    channels = [s for s in digest.active_subscriptions(services.db) if not s.tiers or top in s.tiers]
    # Once per interval, not once per tick (the scan reads only tickets breached an interval ago).
    channels = [
        s for s in channels if status_of(services.db, DeliveryKey(BREACH_REPOSTS, s.channel, period)) is None
    ]
    if not channels:
        return
    items = digest.unacked_breaches(
        services.db,
        services.policy,
        ctx.at,
        at_risk_share=services.settings.at_risk_share,
        interval=timedelta(minutes=minutes),
    )
    if not items:
        return
    shown, more = items[:REPOST_LIMIT], max(0, len(items) - REPOST_LIMIT)
    for sub in channels:
        message = digest_view.breach_repost_message(
            shown, services.policy, interval_minutes=minutes, now=ctx.at, tz=sub.cadence.zone, more=more
        )
        key = DeliveryKey(BREACH_REPOSTS, sub.channel, period)
        ctx.outcomes.append(ctx.poster.deliver(key, partial(payload, message, channel=sub.channel)))
        if not ctx.dry_run:
            # Their Acknowledge/Snooze buttons name these tickets: the channel has now been shown them.
            digest.reposted(services.db, sub, [i.ticket_id for i in shown])


JOBS: list[JobSpec[Services]] = [
    JobSpec(
        DIGESTS,
        "Post each subscribed channel's SLA digest when its period is due.",
        run_digests,
    ),
    JobSpec(
        BREACH_REPOSTS,
        "Re-post unacknowledged top-tier breaches once per UNACKED_REPOST_MINUTES.",
        run_breach_reposts,
    ),
]
