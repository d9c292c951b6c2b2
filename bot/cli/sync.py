"""`tierbot sync accounts|tickets|push-tiers|status`: live data now, with a progress bar and a summary."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from bot.cli.context import console, fail, is_tty, load_services
from bot.services import Services
from bot.sync import service
from bot.sync.errors import SyncError
from bot.sync.push import RECORD, TARGETS
from bot.sync.sources import CRMS, crm_client, helpdesk_client, push_targets, tier_field

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


def _push_all(services: Services, targets: list[str] | None = None, skip: Collection[str] = ()) -> bool:
    """Push to every configured target (but `skip`); False when one stopped or could not start."""
    ok = True
    for result in service.push_all(
        services.db, services.settings, services.clock(), targets=targets, skip=skip
    ):
        if not result.field:  # it could not start
            console.print(f"push-{result.target}: {result.error}", markup=False)
            ok = False
            continue
        what = RECORD.get(result.target, "record")
        line = f"{result.target}: {result.pushed:,} tier(s) written to {result.field}, {result.failures:,} failed"
        if result.skipped:
            line += f", {result.skipped:,} refused before not sent again yet"
        console.print(line + ".", markup=False)
        for remote, reason in result.failed[:SHOWN]:
            console.print(f"  {what} {remote}: {reason}", markup=False)
        if result.error is not None:
            console.print(f"  stopped: {result.error} (the next push resumes)", markup=False)
            ok = False
    return ok


def _print_summary(s: service.SyncSummary, *, stop: bool = True) -> None:
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
    if s.deleted and s.source in CRMS:
        console.print(f"  {s.deleted:,} archived or deleted there: marked, decisions kept.", markup=False)
    elif s.deleted:
        console.print(f"  {s.deleted:,} deleted there: removed here.", markup=False)
    for note in s.notes:
        console.print(f"  {note}.", markup=False)
    if s.error is not None and stop:
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
        no_push: Annotated[
            bool, typer.Option("--no-push", help="Do not write the tiers to the helpdesk and CRMs after.")
        ] = False,
    ) -> None:
        """Read changed accounts from a CRM, re-tier them, report, and push changed tiers."""
        if source not in CRMS:
            fail(f"--source must be one of {', '.join(CRMS)}")
        services = load_services()
        try:
            client = crm_client(services.settings, source)
            with _progress(f"Syncing {source}") as progress:
                summary = service.sync_accounts(
                    services.db,
                    services.policy,
                    services.clock(),
                    client,
                    full,
                    progress,
                    tier_field(services.settings, source),
                )
            client.close()
        except SyncError as exc:
            fail(str(exc))
        _print_summary(summary, stop=False)
        # Pages applied before a stop re-tiered their accounts: those tiers are pushed all the same,
        # but not to this CRM when its credentials failed (the push would get the same 401).
        skip = (source,) if summary.auth_failed else ()
        pushed = no_push or _push_all(services, skip=skip)
        if summary.error is not None:
            fail(f"stopped: {summary.error} (the next run resumes where this one stopped)")
        if not pushed:
            fail("the accounts are synced; a tier push did not finish (tierbot sync push-tiers retries it)")

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
    def push_tiers(
        target: Annotated[
            str | None,
            typer.Option("--target", help="zendesk, hubspot or salesforce (default: all configured)"),
        ] = None,
    ) -> None:
        """Write changed tiers to the helpdesk organizations (ZENDESK_TIER_FIELD) and to each CRM with a
        tier field (HUBSPOT_TIER_PROPERTY, SALESFORCE_TIER_FIELD)."""
        if target is not None and target not in TARGETS:
            fail(f"--target must be one of {', '.join(TARGETS)}")
        services = load_services()
        names = [target] if target is not None else push_targets(services.settings)
        if not names:
            fail(
                "no push target is configured: set the ZENDESK_* settings, HUBSPOT_TIER_PROPERTY or "
                "SALESFORCE_TIER_FIELD"
            )
        if not _push_all(services, names):
            raise typer.Exit(1)

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
