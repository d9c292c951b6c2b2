"""The daily `tier-recompute` job: expired overrides and policy changes reach the tier history.

Daily housekeeping rides on it: idempotency claims older than `CLAIMS_KEPT` are swept."""

from __future__ import annotations

from datetime import timedelta

from bot.accounts.tiering import recompute
from bot.schedule.context import JobContext, JobSpec
from bot.services import Services
from storage.idempotency import sweep
from storage.versions import ACCOUNTS, bump_version

TIER_RECOMPUTE = "tier-recompute"
CLAIMS_KEPT = timedelta(days=7)  # far longer than Slack retries or a double click


def run_tier_recompute(ctx: JobContext[Services]) -> None:
    services = ctx.services
    if not ctx.dry_run:
        sweep(services.db, ctx.at - CLAIMS_KEPT)
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


JOBS: list[JobSpec[Services]] = [
    JobSpec(
        TIER_RECOMPUTE,
        "Re-evaluate every account's tier so expired overrides and policy changes reach the history.",
        run_tier_recompute,
        daily_at="00:15",
        posts=False,
    ),
]
