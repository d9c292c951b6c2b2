"""The `sla-alerts`, `escalations` and `health-alerts` jobs: ask the alerts service, render, post.

Each runs every scheduler tick. A step's ledger key is (job, channel, "<ticket>:<target>:<step>"), so
it is posted once across restarts, retries and scheduler processes; the service records the step in
the same transaction in which the ledger row is claimed, and posting happens after that commits
(429 waits Retry-After, 5xx backs off: the ledger's retry pass at the start of every run).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from functools import partial
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError, OperationalError

from bot.alerts import service
from bot.alerts.model import AlertTick, DueStep
from bot.schedule.context import JobContext, JobSpec
from bot.schedule.ledger import Claimed, DeliveryKey
from bot.schedule.poster import payload
from bot.services import Services
from bot.slack_users import USERS
from bot.views import alerts as alert_view

log = logging.getLogger(__name__)

SLA_ALERTS = "sla-alerts"
ESCALATIONS = "escalations"
HEALTH_ALERTS = "health-alerts"

Context = JobContext[Services]


def _windows(services: Services) -> tuple[timedelta, timedelta]:
    """(late after, grace): a step is late after two ticks; skipped after MISSED_POST_GRACE_HOURS."""
    settings = services.settings
    tick = timedelta(seconds=2 * settings.scheduler_tick_seconds)
    return tick, max(timedelta(hours=settings.missed_post_grace_hours), tick)


def render_step(services: Services, step: DueStep) -> dict[str, object]:
    template = services.settings.ticket_url_template
    message = alert_view.step_message(
        step,
        assignee_user=USERS.user_id(services.settings, step.assignee),
        owner_user=USERS.user_id(services.settings, step.owner),
        ticket_url=template.replace("{id}", step.ticket_id) if template else None,
        tz=ZoneInfo(services.settings.default_timezone),
    )
    return payload(message, channel=step.channel)


Finder = Callable[..., AlertTick]


def _run_ladder(ctx: Context, job: str, find: Finder) -> None:
    ctx.outcomes.extend(ctx.poster.retry_due(job))
    services = ctx.services
    late_after, grace = _windows(services)
    claimed: list[Claimed] = []
    try:
        with ctx.session() as session:
            tick = find(session, services.policy, ctx.at, late_after=late_after, grace=grace)
            items = [(DeliveryKey(job, s.channel, s.period), render_step(services, s)) for s in tick.posts]
            claimed = ctx.poster.claim_many(session, items)
    except (IntegrityError, OperationalError) as exc:
        # Another scheduler process recorded the same steps first (a unique row, or SQLite's lock):
        # nothing of ours was committed, and its posts go out through its own run.
        if isinstance(exc, OperationalError) and "locked" not in str(exc):
            raise  # the database is away: the runner logs it and the next tick tries again
        ctx.note(f"{job}: another run handled this tick ({exc.__class__.__name__}); nothing posted twice")
        return
    if tick.rebuilt:
        ctx.note(f"{job}: recomputed the next alert times of {tick.rebuilt} open tickets (tickets changed)")
    for skipped in tick.skipped:
        ctx.note(f"{job}: skipped {skipped.ticket_id} {skipped.target} {skipped.step}: {skipped.reason}")
    for found in claimed:
        ctx.outcomes.append(ctx.poster.post(found))


def run_sla_alerts(ctx: Context) -> None:
    _run_ladder(ctx, SLA_ALERTS, service.due_steps)


def run_escalations(ctx: Context) -> None:
    _run_ladder(ctx, ESCALATIONS, service.due_escalations)


def run_health_alerts(ctx: Context) -> None:
    ctx.outcomes.extend(ctx.poster.retry_due(HEALTH_ALERTS))
    services = ctx.services
    settings = services.settings
    with ctx.session() as session:
        drops = service.health_drops(
            session,
            services.policy,
            ctx.at,
            settings.health_drop_points,
            settings.health_drop_days,
            settings.health_floor,
        )
    for drop in drops:
        owner = USERS.user_id(services.settings, drop.owner)
        message = alert_view.health_message(drop, owner_user=owner)
        if drop.channel:
            key = DeliveryKey(HEALTH_ALERTS, drop.channel, drop.period)
            ctx.outcomes.append(ctx.poster.deliver(key, partial(payload, message, channel=drop.channel)))
        if owner:
            key = DeliveryKey(HEALTH_ALERTS, f"dm:{owner}", drop.period)
            ctx.outcomes.append(ctx.poster.deliver(key, partial(payload, message, user=owner)))
        if not drop.channel and not owner:
            ctx.note(f"{HEALTH_ALERTS}: {drop.account_name} dropped but has no channel and no owner in Slack")


JOBS: list[JobSpec[Services]] = [
    JobSpec(SLA_ALERTS, "Post each SLA alert step (per tier: before, at and after each target).", run_sla_alerts),
    JobSpec(ESCALATIONS, "Notify the next escalation level of a breach nobody acknowledged.", run_escalations),
    JobSpec(HEALTH_ALERTS, "Tell the owner and the account's channel when a health score drops.", run_health_alerts),
]  # fmt: skip
