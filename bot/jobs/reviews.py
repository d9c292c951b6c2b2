"""The `review-reminders` and `review-triggers` jobs: DMs to decision owners and posts to the
decisions channel when a review date comes near or passes, or when a review trigger fires."""

from __future__ import annotations

import logging
import re
from functools import partial
from zoneinfo import ZoneInfo

from bot.reviews import service as reviews
from bot.schedule.context import JobContext, JobSpec
from bot.schedule.ledger import Claimed, DeliveryKey
from bot.schedule.poster import payload
from bot.services import Services
from bot.views import reminders as reminder_view

log = logging.getLogger(__name__)

REVIEW_REMINDERS = "review-reminders"
REVIEW_TRIGGERS = "review-triggers"

_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")

Context = JobContext[Services]


def _targets(ctx: Context, owner: str | None, source_channel: str | None) -> list[tuple[str, dict[str, str]]]:
    """(ledger target, channel or user) pairs: the owner's DM, and the decisions channel."""
    out: list[tuple[str, dict[str, str]]] = []
    if owner and _USER_ID.match(owner):
        out.append((f"dm:{owner}", {"user": owner}))
    channel = ctx.services.settings.decisions_channel or source_channel
    if channel:
        out.append((channel, {"channel": channel}))
    return out


def run_review_reminders(ctx: Context) -> None:
    ctx.outcomes.extend(ctx.poster.retry_due(REVIEW_REMINDERS))
    settings = ctx.services.settings
    today = ctx.at.astimezone(ZoneInfo(settings.default_timezone)).date()
    for reminder in reviews.due_reminders(ctx.services.db, today, settings.review_reminder_lead_days, ctx.at):
        due = reminder.due
        targets = _targets(ctx, due.owner, due.source_channel)
        if not targets:
            log.warning("%s is due for review but has no owner id and no channel to remind", due.short_id)
        for target, where in targets:
            to_owner = target.startswith("dm:")
            message = reminder_view.reminder_message(due, to_owner=to_owner)
            key = DeliveryKey(REVIEW_REMINDERS, target, reminder.period)
            ctx.outcomes.append(ctx.poster.deliver(key, partial(payload, message, **where)))


def run_review_triggers(ctx: Context) -> None:
    """Evaluate triggers and claim their ledger rows in one transaction, post after it commits.

    Committing the claims with the evaluation (`fired`, `last_evaluated_at`) means a crash can never
    lose a crossing (the claim is there, `sending`, and is recovered) nor post one twice (the same
    crossing re-detected after a rollback has the same period key)."""
    ctx.outcomes.extend(ctx.poster.retry_due(REVIEW_TRIGGERS))
    services = ctx.services
    claims: list[Claimed] = []
    with ctx.session() as session:  # a dry run arms and fires nothing
        firings = reviews.evaluate_triggers(session, services.policy, ctx.at)
        for firing in firings:
            message = reminder_view.trigger_message(firing)
            for target, where in _targets(ctx, firing.owner, firing.source_channel):
                key = DeliveryKey(REVIEW_TRIGGERS, target, firing.period_key)
                claimed = ctx.poster.claim(session, key, payload(message, **where))
                if claimed is not None:
                    claims.append(claimed)
    for claimed in claims:
        ctx.outcomes.append(ctx.poster.post(claimed))


JOBS: list[JobSpec[Services]] = [
    JobSpec(
        REVIEW_REMINDERS,
        "DM owners and post to the decisions channel when a review date comes near or passes.",
        run_review_reminders,
    ),
    JobSpec(
        REVIEW_TRIGGERS,
        "Measure review triggers; alert once per crossing.",
        run_review_triggers,
    ),
]
