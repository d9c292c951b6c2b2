"""The `digests` and `breach-reposts` jobs, and the `notices` DM a subscriber gets when a channel
refuses us.

Missed periods: a period is owed from the subscription's `checked_until` on. One that started within
the grace (`missed_post_grace_hours`, at least two ticks) is posted when the scheduler gets to it; an
older one is recorded in the ledger as skipped with its reason and logged. When several periods are
owed at once (hourly digests after an outage), only the newest is posted: the older ones would show
the same tickets, so they are recorded as superseded.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from sqlalchemy import or_, update

from bot.digest import DigestItem, DigestSnapshot, build_digest, full_breach_list
from bot.schedule import subscriptions
from bot.schedule.acks import ack_states
from bot.schedule.context import JobContext, JobSpec
from bot.schedule.ledger import DeliveryKey, status_of
from bot.schedule.periods import Occurrence, bucket, occurrences, zone
from bot.schedule.poster import Outcome, Payload, payload
from bot.services import Services
from bot.text import escape_mrkdwn
from bot.views import digest as digest_view
from bot.views.blocks import fallback, section
from bot.views.format import duration as format_minutes
from bot.views.format import local_time
from storage.models.schedule import SENT, DigestSubscription

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


def period_label(at: datetime, tz_name: str) -> str:
    return local_time(at, zone(tz_name))


def _render_digest(ctx: Context, sub: DigestSubscription, occ: Occurrence, keep: dict[str, Any]) -> Payload:
    services = ctx.services
    previous = DigestSnapshot.from_dict(sub.last_snapshot) if sub.last_snapshot else None
    with services.db.session() as session:
        digest = build_digest(
            session,
            services.policy,
            ctx.at,
            tiers=set(sub.tiers) or None,
            previous=previous,
            limit=DIGEST_LIMIT,
            at_risk_share=services.settings.at_risk_share,
        )
        acks = ack_states(session, [i.ticket_id for i in digest.items])
    keep["snapshot"] = digest.snapshot().to_dict()
    message = digest_view.digest_message(
        digest, services.policy, title_when=period_label(occ.at, sub.tz), acks=acks, tz=zone(sub.tz)
    )
    return payload(message, channel=sub.channel)


def _digest_subscription(ctx: Context, sub: DigestSubscription) -> None:
    cadence = subscriptions.cadence_of(sub)
    business = ctx.services.policy.calendars.get("business")
    window = catch_up_window(ctx)
    start = max(sub.created_at, ctx.at - window)
    watermark = max(sub.checked_until or sub.created_at, ctx.at - MAX_LOOKBACK)
    if (sub.checked_until or sub.created_at) < ctx.at - MAX_LOOKBACK:
        ctx.note(
            f"digest {sub.channel}: periods before {watermark.isoformat()} were missed and are not itemised"
        )

    for occ in occurrences(cadence, watermark, start, business):
        late = format_minutes((ctx.at - occ.at).total_seconds() / 60)
        reason = (
            f"missed: due {period_label(occ.at, sub.tz)} and not posted then (no scheduler running, or "
            f"the job failing); {late} later is beyond the {ctx.services.settings.missed_post_grace_hours} h "
            "grace (MISSED_POST_GRACE_HOURS)"
        )
        ctx.outcomes.append(ctx.poster.skip(DeliveryKey(DIGESTS, sub.channel, occ.key), reason))

    # Periods the ledger already has (sent, pending, given up) are not ours to redo; a dry run skips
    # them too, so it shows what a real run would post.
    due = [
        o
        for o in occurrences(cadence, start, ctx.at, business)
        if status_of(ctx.services.db, DeliveryKey(DIGESTS, sub.channel, o.key)) is None
    ]
    if due:
        newest = due[-1]
        for occ in due[:-1]:
            reason = f"superseded: {newest.key} is posted instead (same tickets, one message)"
            ctx.outcomes.append(ctx.poster.skip(DeliveryKey(DIGESTS, sub.channel, occ.key), reason))
        keep: dict[str, Any] = {}
        key = DeliveryKey(DIGESTS, sub.channel, newest.key)
        outcome = ctx.poster.deliver(key, lambda: _render_digest(ctx, sub, newest, keep))
        ctx.outcomes.append(outcome)
        if not ctx.dry_run and "snapshot" in keep and outcome.status != "exists":
            # The movement of the next digest is measured against this one, whether or not Slack took it.
            _update_sub(ctx, sub.id, last_snapshot=keep["snapshot"])
        after_digest(ctx, outcome)

    if not ctx.dry_run:
        with ctx.services.db.session() as session:
            session.execute(
                update(DigestSubscription)
                .where(
                    DigestSubscription.id == sub.id,
                    or_(
                        DigestSubscription.checked_until.is_(None), DigestSubscription.checked_until < ctx.at
                    ),
                )
                .values(checked_until=ctx.at)
                .execution_options(synchronize_session=False)
            )


def _update_sub(ctx: Context, sub_id: int, **values: Any) -> None:
    with ctx.services.db.session() as session:
        session.execute(
            update(DigestSubscription)
            .where(DigestSubscription.id == sub_id)
            .values(**values)
            .execution_options(synchronize_session=False)
        )


def channel_gone_message(channel: str, error: str) -> dict[str, Any]:
    code = error.split(":", 1)[0]
    why = {
        "not_in_channel": "I am not a member of that channel",
        "channel_not_found": "I cannot see that channel (it is private or was deleted)",
        "is_archived": "the channel is archived",
    }.get(code, escape_mrkdwn(code))
    text = (
        f":warning: I could not post the SLA digest you subscribed <#{channel}> to: {why} (`{code}`).\n"
        f"Invite me with `/invite @tierbot` in <#{channel}>, or stop it with `/digest unsubscribe <#{channel}>`."
        " I will not DM you about this again until a digest gets through."
    )
    return {
        "text": fallback(f"Could not post the SLA digest to the channel: {code}"),
        "blocks": [section(text)],
    }


def after_digest(ctx: Context, outcome: Outcome) -> None:
    """Bookkeeping after a digest post: clear a reported problem on success, report a new one once."""
    if ctx.dry_run or outcome.key.job != DIGESTS:
        return
    channel = outcome.key.target
    sub = subscriptions.by_channel(ctx.services.db, channel)
    if sub is None:
        return
    if outcome.status == SENT and sub.problem_notified_at is not None:
        _update_sub(ctx, sub.id, problem_notified_at=None)
        return
    if not outcome.channel_gone:
        return
    with ctx.services.db.session() as session:
        # Compare-and-set: exactly one run tells the subscriber, however many posts fail.
        result = session.execute(
            update(DigestSubscription)
            .where(DigestSubscription.id == sub.id, DigestSubscription.problem_notified_at.is_(None))
            .values(problem_notified_at=ctx.at)
            .execution_options(synchronize_session=False)
        )
        first = result.rowcount == 1  # type: ignore[attr-defined]
    if not first:
        return
    log.warning("digest for %s cannot be posted (%s); telling %s", channel, outcome.error, sub.created_by)
    message = channel_gone_message(channel, outcome.error or "")
    key = DeliveryKey(NOTICES, f"dm:{sub.created_by}", f"channel-gone:{channel}:{outcome.key.period}")
    ctx.outcomes.append(ctx.poster.deliver(key, lambda: payload(message, user=sub.created_by)))


def run_digests(ctx: Context) -> None:
    for job in (DIGESTS, NOTICES):
        for outcome in ctx.poster.retry_due(job):
            ctx.outcomes.append(outcome)
            after_digest(ctx, outcome)
    for sub in subscriptions.active(ctx.services.db):
        try:
            _digest_subscription(ctx, sub)
        except Exception:
            # One broken subscription (a zone removed from tzdata, a policy change) must not stop the rest.
            log.exception("digest for %s failed", sub.channel)


def unacked_breaches(ctx: Context, interval: timedelta) -> list[DigestItem]:
    """Top-tier breaches overdue for at least one interval that nobody acknowledged or snoozed."""
    services = ctx.services
    top = services.policy.tiers[0].key
    with services.db.session() as session:
        items = [
            i
            for i in full_breach_list(
                session,
                services.policy,
                ctx.at,
                {top},
                services.settings.at_risk_share,
                breached_since=ctx.at - interval,
            )
            if i.tier == top
        ]
        acks = ack_states(session, [i.ticket_id for i in items])
    return [i for i in items if i.ticket_id not in acks or not acks[i.ticket_id].quiet(ctx.at)]


def run_breach_reposts(ctx: Context) -> None:
    ctx.outcomes.extend(ctx.poster.retry_due(BREACH_REPOSTS))
    services = ctx.services
    minutes = services.settings.unacked_repost_minutes
    period, _start = bucket(ctx.at, minutes)
    top = services.policy.tiers[0].key
    channels = [s for s in subscriptions.active(services.db) if not s.tiers or top in s.tiers]
    # Once per interval, not once per tick (the scan reads only tickets breached an interval ago).
    channels = [
        s for s in channels if status_of(services.db, DeliveryKey(BREACH_REPOSTS, s.channel, period)) is None
    ]
    if not channels:
        return
    items = unacked_breaches(ctx, timedelta(minutes=minutes))
    if not items:
        return
    shown, more = items[:REPOST_LIMIT], max(0, len(items) - REPOST_LIMIT)
    for sub in channels:
        message = digest_view.breach_repost_message(
            shown, services.policy, interval_minutes=minutes, now=ctx.at, tz=zone(sub.tz), more=more
        )
        key = DeliveryKey(BREACH_REPOSTS, sub.channel, period)
        ctx.outcomes.append(ctx.poster.deliver(key, partial(payload, message, channel=sub.channel)))


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
