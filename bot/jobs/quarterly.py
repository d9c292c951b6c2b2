"""The `quarterly-reviews` job: give eligible accounts a review date, and DM each owner once per due
date, `QUARTERLY_REVIEW_LEAD_DAYS` before it (or at once when it is already closer or overdue).

Key: `quarterly-reviews` / `dm:<owner>` / `<account id>:<due date>`: a review held moves the due date,
so the next quarter's reminder has a new key; two runs or two processes send each once. Owners that
are not Slack user ids (an e-mail, a name) cannot be DMed yet: noted and skipped.
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
from bot.views import quarterly as quarterly_view

log = logging.getLogger(__name__)

QUARTERLY_REVIEWS = "quarterly-reviews"

Context = JobContext[Services]


def _slack_user(owner: str) -> bool:
    return owner[:1] in ("U", "W") and owner.isalnum() and owner.isupper()


def run_quarterly_reviews(ctx: Context) -> None:
    ctx.outcomes.extend(ctx.poster.retry_due(QUARTERLY_REVIEWS))
    services = ctx.services
    with ctx.session() as session:
        added = quarterly.ensure_schedules(session, services.policy, ctx.at)
    if added:
        ctx.note(f"quarterly reviews: {added} account(s) got their first review date")
    # Briefs are read first and the session closed before posting: the ledger writes on its own
    # connection, which SQLite would find locked behind an open transaction.
    owed: list[tuple[DeliveryKey, str, dict[str, Any]]] = []
    with services.db.session() as session:
        due = quarterly.due_for_reminder(
            session, services.policy, ctx.at, services.settings.quarterly_review_lead_days
        )
        for review in due:
            if review.owner is None or not _slack_user(review.owner):
                ctx.note(
                    f"quarterly review of account {review.account_id}: owner {review.owner!r} is not a Slack user id"
                )
                continue
            key = DeliveryKey(
                QUARTERLY_REVIEWS, f"dm:{review.owner}", f"{review.account_id}:{review.due_at.date()}"
            )
            if status_of(services.db, key) is not None:
                continue  # reminded already: no brief to compute
            brief = quarterly.brief(session, services.policy, review, ctx.at, services.settings.at_risk_share)
            owed.append((key, review.owner, quarterly_view.reminder_message(brief, ctx.at)))
    for key, owner, message in owed:
        ctx.outcomes.append(ctx.poster.deliver(key, partial(payload, message, user=owner)))


JOBS: list[JobSpec[Services]] = [
    JobSpec(
        QUARTERLY_REVIEWS,
        "Schedule quarterly reviews and remind owners QUARTERLY_REVIEW_LEAD_DAYS before, with a brief.",
        run_quarterly_reviews,
        daily_at="08:00",
    ),
]
