"""The `review-reminders`, `review-triggers` and `tier-recompute` jobs."""

from __future__ import annotations

import logging
import re
from datetime import timedelta
from functools import partial

from bot.accounts.tiering import recompute
from bot.reviews import due_reviews, evaluate_triggers, reminder_period
from bot.schedule.acks import review_snoozes
from bot.schedule.jobs import REVIEW_REMINDERS, REVIEW_TRIGGERS, JobContext
from bot.schedule.ledger import Claimed, DeliveryKey
from bot.schedule.periods import zone
from bot.schedule.poster import payload
from bot.views import reminders as reminder_view
from storage.idempotency import sweep
from storage.versions import ACCOUNTS, bump_version

log = logging.getLogger(__name__)

_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
SNOOZE_ECHO = timedelta(days=7)  # a snooze that ended within this long gives one fresh reminder


def _targets(
    ctx: JobContext, owner: str | None, source_channel: str | None
) -> list[tuple[str, dict[str, str]]]:
    """(ledger target, channel or user) pairs: the owner's DM, and the decisions channel."""
    out: list[tuple[str, dict[str, str]]] = []
    if owner and _USER_ID.match(owner):
        out.append((f"dm:{owner}", {"user": owner}))
    channel = ctx.services.settings.decisions_channel or source_channel
    if channel:
        out.append((channel, {"channel": channel}))
    return out


def run_review_reminders(ctx: JobContext) -> None:
    ctx.outcomes.extend(ctx.poster.retry_due(REVIEW_REMINDERS))
    settings = ctx.services.settings
    today = ctx.at.astimezone(zone(settings.default_timezone)).date()
    with ctx.services.db.session() as session:
        dues = due_reviews(session, today, settings.review_reminder_lead_days)
        snoozes = review_snoozes(session)
    for due in dues:
        period = f"{due.short_id}:{reminder_period(due, today)}"
        until = snoozes.get(due.decision_id)
        if until is not None and until > ctx.at:
            continue  # snoozed: nothing until it ends
        if until is not None and ctx.at - until < SNOOZE_ECHO:
            # The snooze just ended: remind once more even if this period's reminder went out before it.
            period += f":after-snooze:{until.isoformat(timespec='minutes')}"
        targets = _targets(ctx, due.owner, due.source_channel)
        if not targets:
            log.warning("%s is due for review but has no owner id and no channel to remind", due.short_id)
        for target, where in targets:
            to_owner = target.startswith("dm:")
            message = reminder_view.reminder_message(due, to_owner=to_owner)
            key = DeliveryKey(REVIEW_REMINDERS, target, period)
            ctx.outcomes.append(ctx.poster.deliver(key, partial(payload, message, **where)))


def run_review_triggers(ctx: JobContext) -> None:
    """Evaluate triggers and claim their ledger rows in one transaction, post after it commits.

    Committing the claims with the evaluation (`fired`, `last_evaluated_at`) means a crash can never
    lose a crossing (the claim is there, `sending`, and is recovered) nor post one twice (the same
    crossing re-detected after a rollback has the same period key)."""
    ctx.outcomes.extend(ctx.poster.retry_due(REVIEW_TRIGGERS))
    services = ctx.services
    claims: list[Claimed] = []
    with ctx.session() as session:  # a dry run arms and fires nothing
        firings = evaluate_triggers(session, services.policy, ctx.at)
        for firing in firings:
            message = reminder_view.trigger_message(firing)
            for target, where in _targets(ctx, firing.owner, firing.source_channel):
                key = DeliveryKey(REVIEW_TRIGGERS, target, firing.period_key)
                claimed = ctx.poster.claim(session, key, payload(message, **where))
                if claimed is not None:
                    claims.append(claimed)
    for claimed in claims:
        ctx.outcomes.append(ctx.poster.post(claimed))


CLAIMS_KEPT = timedelta(days=7)  # far longer than Slack retries or a double click


def run_tier_recompute(ctx: JobContext) -> None:
    services = ctx.services
    if not ctx.dry_run:
        sweep(services.db, ctx.at - CLAIMS_KEPT)  # daily housekeeping rides on the daily job
    with ctx.session() as session:
        changes = recompute(session, services.policy, ctx.at, actor="tierbot scheduler")
        if changes:
            bump_version(session, ACCOUNTS)
    if changes and not ctx.dry_run:
        services.invalidate()
    ctx.note(
        f"tier-recompute: {len(changes)} account(s) changed tier"
        + (" (dry run, not saved)" if ctx.dry_run else "")
    )
