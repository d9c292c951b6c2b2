"""`tierbot sync accounts|tickets|push-tiers|status`: live data now, with a progress bar and a summary."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from bot.cli.context import console, fail, is_tty, load_services
from bot.sync import service
from bot.sync.errors import SyncError
from bot.sync.sources import CRMS, crm_client, helpdesk_client

SHOWN = 20
Full = Annotated[bool, typer.Option("--full", help="Re-read everything instead of what changed.")]


@contextmanager
def _progress(label: str) -> Iterator[Callable[[int, int | None], None] | None]:
    if not is_tty():
        yield None
        return
    columns = (TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task(label, total=None)

        def update(done: int, total: int | None) -> None:
            bar.update(task, completed=done, total=total)

        yield update


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S UTC") if value else "never"


def _print_summary(s: service.SyncSummary) -> None:
    counts = (
        f"{s.created:,} created, {s.updated:,} updated, {s.unchanged:,} unchanged, {s.rejected:,} rejected, "
        f"{s.tier_changes:,} tier change(s)"
    )
    rate = f"{s.records:,} records in {s.seconds:.1f} s ({s.records_per_second:,.0f}/s)"
    console.print(f"{s.source}: {counts}; {rate}.", highlight=False, markup=False)
    for move in s.moves[:SHOWN]:
        console.print(f"  tier: {move.name} {move.from_tier} -> {move.to_tier} ({move.detail})", markup=False)
    for reject in s.rejects[:SHOWN]:
        console.print(f"  rejected {reject.record_id} [{reject.field}]: {reject.reason}", markup=False)
    if s.rejected > len(s.rejects[:SHOWN]):
        console.print(f"  … {s.rejected - len(s.rejects[:SHOWN])} more rejects (tierbot sync status)")
    if s.error is not None:
        fail(f"stopped: {s.error} (the next run resumes where this one stopped)")


def register(app: typer.Typer, import_app: typer.Typer) -> None:
    sync_app = typer.Typer(
        help="Live data: accounts from the CRM, tickets from the helpdesk.", no_args_is_help=True
    )
    app.add_typer(sync_app, name="sync")

    @sync_app.command("accounts")
    def sync_accounts(
        source: Annotated[str, typer.Option("--source", help="hubspot or salesforce")],
        full: Full = False,
    ) -> None:
        """Read changed accounts from a CRM, re-tier them, and report."""
        if source not in CRMS:
            fail(f"--source must be one of {', '.join(CRMS)}")
        services = load_services()
        try:
            client = crm_client(services.settings, source)
            with _progress(f"Syncing {source}") as progress:
                summary = service.sync_accounts(
                    services.db, services.policy, services.clock(), client, full, progress
                )
            client.close()
        except SyncError as exc:
            fail(str(exc))
        _print_summary(summary)

    @sync_app.command("tickets")
    def sync_tickets(
        source: Annotated[str, typer.Option("--source", help="zendesk")] = "zendesk",
        full: Full = False,
    ) -> None:
        """Read organizations and changed tickets from the helpdesk."""
        if source != "zendesk":
            fail("--source must be zendesk")
        services = load_services()
        settings = services.settings
        try:
            client = helpdesk_client(settings)
            with _progress("Syncing zendesk") as progress:
                summary = service.sync_tickets(
                    services.db,
                    services.policy,
                    services.clock(),
                    client,
                    settings.zendesk_tier_field,
                    full,
                    progress,
                )
            client.close()
        except SyncError as exc:
            fail(str(exc))
        _print_summary(summary)

    @sync_app.command("push-tiers")
    def push_tiers() -> None:
        """Write changed tiers to the helpdesk organizations' tier field (ZENDESK_TIER_FIELD)."""
        services = load_services()
        try:
            client = helpdesk_client(services.settings)
            result = service.push_tiers(
                services.db, services.clock(), client, services.settings.zendesk_tier_field
            )
            client.close()
        except SyncError as exc:
            fail(str(exc))
        console.print(f"{result.target}: {result.pushed:,} tier(s) written, {len(result.failed)} failed.")
        for remote, reason in result.failed[:SHOWN]:
            console.print(f"  organization {remote}: {reason}", markup=False)
        if result.error is not None:
            fail(f"stopped: {result.error}")

    @sync_app.command("status")
    def status() -> None:
        """Each source's last success, last error, cursor, records per second and last rejects."""
        services = load_services()
        rows = service.sync_status(services.db, services.clock())
        if not rows:
            console.print("No sync has run yet.")
            return
        table = Table("source", "last success", "last error", "cursor", "records/s", "last run")
        for row in rows:
            error = f"{_when(row.last_error_at)}: {row.last_error}" if row.last_error else "-"
            cursor = (row.cursor or "-")[:40]
            run = ", ".join(f"{v:,} {k}" for k, v in row.stats.items() if v) or "-"
            running = " (running)" if row.running else ""
            table.add_row(row.source + running, _when(row.last_success_at), error, cursor,
                          f"{row.records_per_second:,.0f}", run)  # fmt: skip
        console.print(table)
        for row in rows:
            for reject in row.rejects:
                console.print(
                    f"{row.source}: rejected {reject.record_id} [{reject.field}]: {reject.reason}",
                    markup=False,
                )
