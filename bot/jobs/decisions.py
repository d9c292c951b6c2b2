"""The `decision-posts` job: every tick, the decision posts Slack did not take at once (429, 5xx, a
timeout, a process that stopped mid-post) are tried again through the delivery ledger; see
`bot.decisions.delivery` for the rows and `handlers._decisions.deliver_now` for the first attempt."""

from __future__ import annotations

from dataclasses import replace

from bot.decisions import service
from bot.decisions.delivery import JOB, version_of
from bot.schedule.context import JobContext, JobSpec
from bot.schedule.ledger import Claimed, DeliveryKey
from bot.schedule.poster import Outcome
from bot.services import Services
from bot.views.decision_delivery import delivery_payload

DECISION_POSTS = "decision-posts"

Context = JobContext[Services]


def _prepare(ctx: Context, claimed: Claimed) -> Claimed | None:
    """The row's record (or notice) rendered as it is now, with the version shown and the attempt."""
    services = ctx.services
    item = service.delivery_item(services.db, claimed.payload)
    if item is None:
        return None
    day = service.today(ctx.at, services.settings.default_timezone)
    rendered = delivery_payload(item, services.policy, day)
    extra = {"version": version_of(item.record), "attempt": claimed.attempts}
    return replace(claimed, payload={**claimed.payload, **rendered, **extra})


def _done(ctx: Context, outcome: Outcome) -> tuple[DeliveryKey, ...]:
    data = outcome.payload or {}
    done = service.delivered(
        ctx.services.db,
        data,
        status=outcome.status,
        channel=outcome.channel,
        ts=outcome.ts,
        error=outcome.error,
        attempt=int(data.get("attempt") or 1),
        shown_version=data.get("version"),
        now=ctx.services.clock(),
    )
    return done.follow_up


def run_decision_posts(ctx: Context) -> None:
    """Retry what is due; a post that lands stores its ts (so later changes update it), and what it
    queues (an update, a notice to the author) is attempted in the same run."""
    queue: list[DeliveryKey | None] = [None]  # None: every due row of the job
    while queue:
        key = queue.pop(0)
        for outcome in ctx.poster.retry_due(JOB, lambda c: _prepare(ctx, c), key=key):
            ctx.outcomes.append(outcome)
            if not ctx.dry_run:
                queue += _done(ctx, outcome)


JOBS: list[JobSpec[Services]] = [
    JobSpec(
        DECISION_POSTS,
        "Post decision records (and their updates) Slack did not take at once; tell the author.",
        run_decision_posts,
    ),
]
