"""Scheduled live-data jobs: `sync-accounts`, `sync-tickets`, `push-tiers`.

Each runs every scheduler tick but does work only for configured sources whose last run started
SYNC_INTERVAL_MINUTES ago or more (the sync state row says when), so they are every-tick JobSpecs
(`JOBS`). They write only to the database (posts=False). A source another process is
syncing (a manual `tierbot sync`) is skipped with a note; a stopped run is noted with its reason and
resumes at the next interval. `sync-accounts` pushes tiers to every target right after a CRM sync;
`push-tiers` pushes after the interval or after any sync that finished since its last push.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from bot.schedule.context import JobContext, JobSpec
from bot.services import Services
from bot.sync import service, state
from bot.sync.errors import SyncBusy
from bot.sync.helpdesk import ORGS
from bot.sync.sources import (
    CRMS,
    configured_crms,
    crm_client,
    has_helpdesk,
    helpdesk_client,
    push_targets,
    tier_field,
)
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
    text += "".join(f"; {note}" for note in summary.notes)
    return text if summary.error is None else f"{text}; stopped: {summary.error}"


def run_sync_accounts(ctx: JobContext[Services]) -> None:
    """Each due CRM, then (when one ran) the tier push to every target: the issue's "and the
    scheduler, after each account sync". The push holds each target's own lease and state row, as
    the push-tiers job does, so the two never write one target at once."""
    services = ctx.services
    settings = services.settings
    ran = False
    refused: list[str] = []  # CRMs whose credentials failed: a push there would get the same 401
    for source in configured_crms(settings):
        if ctx.dry_run:
            ctx.note(f"{source}: dry run, not synced")
            continue
        if not _due(services.db, source, ctx.at, settings.sync_interval_minutes):
            continue
        client = crm_client(settings, source)
        try:
            summary = service.sync_accounts(
                services.db, services.policy, ctx.at, client, tier_field=tier_field(settings, source)
            )
            ctx.note(_line(summary))
            ran = True  # a stopped run applied its pages before it stopped: their tiers are pushed too
            if summary.auth_failed:
                refused.append(source)
        except SyncBusy as exc:
            ctx.note(f"{source}: skipped, {exc.message}")
        finally:
            client.close()
    if ran:
        _push(ctx, due_only=False, skip=refused)


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


def _push_due(db: Database, lease: str, now: datetime, minutes: int) -> bool:
    """A push is due after the interval, or when a sync finished at or after its last start: an
    account sync that stopped before its own push, organizations the ticket sync just linked. (Runs of
    one tick share `now`, hence "at or after"; it costs one more query-only push at the next tick.)"""
    rows = {s.source: s for s in state.states(db)}
    last = rows.get(lease)
    started = last.last_started_at if last is not None else None
    if started is None or now - started >= timedelta(minutes=minutes):
        return True
    return any(
        (row := rows.get(source)) is not None
        and row.last_success_at is not None
        and row.last_success_at >= started
        for source in (*CRMS, ORGS)
    )


def _push(ctx: JobContext[Services], *, due_only: bool, skip: Sequence[str] = ()) -> None:
    services = ctx.services
    settings = services.settings
    names = [
        name
        for name in push_targets(settings)
        if not due_only or _push_due(services.db, f"push-{name}", ctx.at, settings.sync_interval_minutes)
    ]
    for name in skip:
        if name in names:
            ctx.note(f"push-tiers {name}: skipped, its sync stopped on its credentials")
    for result in service.push_all(services.db, settings, ctx.at, targets=names, skip=skip):
        if not result.field:  # it could not start
            ctx.note(f"push-tiers {result.target}: skipped, {result.error}")
            continue
        text = f"push-tiers {result.target}: {result.pushed} written, {result.failures} failed"
        if result.skipped:
            text += f", {result.skipped} refused before not sent again yet"
        if result.failed:
            text += " (" + "; ".join(f"{remote}: {why}" for remote, why in result.failed[:3]) + ")"
        ctx.note(text if result.error is None else f"{text}; stopped: {result.error}")


def run_push_tiers(ctx: JobContext[Services]) -> None:
    """Write changed tiers to every configured target (the helpdesk, and each CRM with a tier field)."""
    if ctx.dry_run:
        return
    _push(ctx, due_only=True)


# For bot.jobs.all_jobs(): the lead wires these in (`*sync.JOBS`).
JOBS: list[JobSpec[Services]] = [
    JobSpec(SYNC_ACCOUNTS, "Sync changed accounts from each configured CRM every SYNC_INTERVAL_MINUTES.",
            run_sync_accounts, posts=False),
    JobSpec(SYNC_TICKETS, "Sync organizations and changed tickets from Zendesk every SYNC_INTERVAL_MINUTES.",
            run_sync_tickets, posts=False),
    JobSpec(PUSH_TIERS, "Write changed tiers to Zendesk (ZENDESK_TIER_FIELD) and to each CRM with a tier field.",
            run_push_tiers, posts=False),
]  # fmt: skip
