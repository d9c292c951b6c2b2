"""Scheduled live-data jobs: `sync-accounts`, `sync-tickets`, `push-tiers`.

Each runs every scheduler tick but does work only for configured sources whose last run started
SYNC_INTERVAL_MINUTES ago or more (the sync state row says when), so they are every-tick JobSpecs
(`JOBS`). They write only to the database (posts=False). A source another process is
syncing (a manual `tierbot sync`) is skipped with a note; a stopped run is noted with its reason and
resumes at the next interval.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.schedule.context import JobContext, JobSpec
from bot.services import Services
from bot.sync import service, state
from bot.sync.errors import SyncBusy, SyncError
from bot.sync.helpdesk import ORGS
from bot.sync.sources import configured_crms, crm_client, has_helpdesk, helpdesk_client
from storage.db import Database

SYNC_ACCOUNTS = "sync-accounts"
SYNC_TICKETS = "sync-tickets"
PUSH_TIERS = "push-tiers"


def _due(db: Database, source: str, now: datetime, minutes: int) -> bool:
    last = {s.source: s.last_started_at for s in state.states(db)}.get(source)
    return last is None or now - last >= timedelta(minutes=minutes)


def _line(summary: service.SyncSummary) -> str:
    text = (
        f"{summary.source}: {summary.created} created, {summary.updated} updated, {summary.unchanged} unchanged, "
        f"{summary.rejected} rejected, {summary.tier_changes} tier change(s), {summary.records_per_second:.0f} records/s"
    )
    return text if summary.error is None else f"{text}; stopped: {summary.error}"


def run_sync_accounts(ctx: JobContext[Services]) -> None:
    services = ctx.services
    settings = services.settings
    for source in configured_crms(settings):
        if ctx.dry_run:
            ctx.note(f"{source}: dry run, not synced")
            continue
        if not _due(services.db, source, ctx.at, settings.sync_interval_minutes):
            continue
        client = crm_client(settings, source)
        try:
            ctx.note(_line(service.sync_accounts(services.db, services.policy, ctx.at, client)))
        except SyncBusy as exc:
            ctx.note(f"{source}: skipped, {exc.message}")
        finally:
            client.close()


def run_sync_tickets(ctx: JobContext[Services]) -> None:
    services = ctx.services
    settings = services.settings
    if not has_helpdesk(settings) or ctx.dry_run:
        return
    if not _due(services.db, ORGS, ctx.at, settings.sync_interval_minutes):
        return
    client = helpdesk_client(settings)
    try:
        summary = service.sync_tickets(
            services.db, services.policy, ctx.at, client, settings.zendesk_tier_field
        )
        ctx.note(_line(summary))
    except SyncBusy as exc:
        ctx.note(f"zendesk: skipped, {exc.message}")
    finally:
        client.close()


def run_push_tiers(ctx: JobContext[Services]) -> None:
    """After the account syncs of the same tick: write changed tiers to the helpdesk."""
    services = ctx.services
    settings = services.settings
    if not has_helpdesk(settings) or ctx.dry_run:
        return
    if not _due(services.db, "push-zendesk", ctx.at, settings.sync_interval_minutes):
        return
    client = helpdesk_client(settings)
    try:
        result = service.push_tiers(services.db, ctx.at, client, settings.zendesk_tier_field)
        text = f"push-tiers: {result.pushed} written, {len(result.failed)} failed"
        ctx.note(text if result.error is None else f"{text}; stopped: {result.error}")
    except SyncError as exc:
        ctx.note(f"push-tiers: skipped, {exc}")
    finally:
        client.close()


# For bot.jobs.all_jobs(): the lead wires these in (`*sync.JOBS`).
JOBS: list[JobSpec[Services]] = [
    JobSpec(SYNC_ACCOUNTS, "Sync changed accounts from each configured CRM every SYNC_INTERVAL_MINUTES.",
            run_sync_accounts, posts=False),
    JobSpec(SYNC_TICKETS, "Sync organizations and changed tickets from Zendesk every SYNC_INTERVAL_MINUTES.",
            run_sync_tickets, posts=False),
    JobSpec(PUSH_TIERS, "Write changed tiers to the Zendesk organization field (ZENDESK_TIER_FIELD).",
            run_push_tiers, posts=False),
]  # fmt: skip
