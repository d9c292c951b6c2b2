"""The `quarterly-reviews` job: give eligible accounts a review date, and remind each owner once per
due date, `QUARTERLY_REVIEW_LEAD_DAYS` before it (or at once when it is already closer or overdue).

The owner is DMed: a Slack user id as stored, an e-mail resolved with `users.lookupByEmail` (the
cache the alert jobs use, `bot.slack_users`). An owner Slack does not know (an address it has no
user for, a plain name, none at all) gets the reminder in the account's own channel, else its tier's
alert channel, naming the owner as written; with neither, the run notes it.

Key: `quarterly-reviews` / `dm:<user id>` or `<channel>` / `<account id>:<due date>`: a review held
moves the due date, so the next quarter's reminder has a new key; two runs or two processes send
each once, and a reminder posted in a channel is not sent again as a DM once the owner is found.
"""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

from bot.quarterly import service as quarterly
from bot.schedule.context import JobContext, JobSpec
from bot.schedule.ledger import DeliveryKey, status_of
from bot.schedule.poster import payload
from bot.services import Services
from bot.slack_users import USERS
from bot.views import quarterly as quarterly_view

log = logging.getLogger(__name__)

QUARTERLY_REVIEWS = "quarterly-reviews"

Context = JobContext[Services]


def run_quarterly_reviews(ctx: Context) -> None:
    ctx.outcomes.extend(ctx.poster.retry_due(QUARTERLY_REVIEWS))
    services = ctx.services
    with ctx.session() as session:
        added = quarterly.ensure_schedules(session, services.policy, ctx.at)
    if added:
        ctx.note(f"quarterly reviews: {added} account(s) got their first review date")
    with services.db.session() as session:
        due = quarterly.due_for_reminder(
            session, services.policy, ctx.at, services.settings.quarterly_review_lead_days
        )
    # Owners are looked up with no transaction open (a Slack call may take seconds).
    targets: list[tuple[quarterly.DueReview, DeliveryKey, dict[str, str]]] = []
    for review in due:
        period = f"{review.account_id}:{review.due_at.date()}"
        user = USERS.user_id(services.settings, review.owner)
        dm = DeliveryKey(QUARTERLY_REVIEWS, f"dm:{user}", period) if user else None
        posted = DeliveryKey(QUARTERLY_REVIEWS, review.channel, period) if review.channel else None
        if any(k is not None and status_of(services.db, k) is not None for k in (dm, posted)):
            continue  # reminded already (by DM, or in the channel before the owner was found)
        if dm is not None and user is not None:
            targets.append((review, dm, {"user": user}))
        elif posted is not None and review.channel is not None:
            ctx.note(
                f"quarterly review of account {review.account_id}: owner {review.owner!r} not found in "
                f"Slack; reminding in {review.channel}"
            )
            targets.append((review, posted, {"channel": review.channel}))
        else:
            ctx.note(
                f"quarterly review of account {review.account_id}: owner {review.owner!r} not found in "
                "Slack, and neither the account nor its tier has a channel: not reminded"
            )
    # Briefs are read first and the session closed before posting: the ledger writes on its own
    # connection, which SQLite would find locked behind an open transaction.
    owed: list[tuple[DeliveryKey, dict[str, Any], dict[str, str]]] = []
    with services.db.session() as session:
        for review, key, to in targets:
            brief = quarterly.brief(session, services.policy, review, ctx.at, services.settings.at_risk_share)
            message = (
                quarterly_view.reminder_message(brief, ctx.at)
                if "user" in to
                else quarterly_view.channel_reminder_message(brief, ctx.at)
            )
            owed.append((key, message, to))
    for key, message, to in owed:
        ctx.outcomes.append(ctx.poster.deliver(key, partial(payload, message, **to)))


JOBS: list[JobSpec[Services]] = [
    JobSpec(
        QUARTERLY_REVIEWS,
        "Schedule quarterly reviews and remind owners QUARTERLY_REVIEW_LEAD_DAYS before, with a brief.",
        run_quarterly_reviews,
        daily_at="08:00",
    ),
]
