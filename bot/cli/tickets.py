"""`tierbot import tickets FILE` and `tierbot import ticket-events FILE`."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from bot.cli.context import console, fail, is_tty, load_services
from bot.tickets.service import (
    ImportKind,
    ImportOutcome,
    ImportResult,
    import_ticket_events,
    import_tickets,
)

SHOWN_ERRORS = 50
PROGRESS_FROM_BYTES = 2 * 1024 * 1024  # smaller files finish before a bar would be worth drawing

FileArg = Annotated[Path, typer.Argument(help="CSV file (UTF-8, header row; columns in any order).")]
DryRun = Annotated[bool, typer.Option("--dry-run", help="Check the file and report; write nothing.")]


@contextmanager
def _progress(path: Path, label: str) -> Iterator[Callable[[int, int], None] | None]:
    if not is_tty() or path.stat().st_size < PROGRESS_FROM_BYTES:
        yield None
        return
    columns = (TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task(label, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


def _print_result(result: ImportResult, path: Path) -> None:
    for note in result.notes:
        console.print(f"[yellow]note:[/] {note}", highlight=False)
    if result.outcome is ImportOutcome.REJECTED:
        console.print(
            f"[bold red]{path.name}: {len(result.errors)} bad row(s); nothing was written.[/]",
            highlight=False,
        )
        for error in result.errors[:SHOWN_ERRORS]:
            console.print(f"  {error}", highlight=False, markup=False)
        if len(result.errors) > SHOWN_ERRORS:
            console.print(f"  … and {len(result.errors) - SHOWN_ERRORS} more", highlight=False)
        return
    counts = f"{result.created:,} new, {result.updated:,} updated, {result.unchanged:,} unchanged"
    if result.outcome is ImportOutcome.CHECKED:
        console.print(
            f"Dry run of {path.name} ({result.kind}): would be {counts}. Nothing written.", highlight=False
        )
    else:
        console.print(f"Imported {path.name} ({result.kind}): {counts}.", highlight=False)


def _run(path: Path, dry_run: bool, kind: ImportKind) -> None:
    if not path.is_file():
        fail(f"{path}: no such file")
    services = load_services()
    with _progress(path, f"Importing {kind}") as progress:
        try:
            if kind is ImportKind.TICKETS:
                result = import_tickets(
                    services.db,
                    services.policy,
                    path,
                    now=services.clock(),
                    dry_run=dry_run,
                    progress=progress,
                )
            else:
                result = import_ticket_events(
                    services.db, services.policy, path, dry_run=dry_run, progress=progress
                )
        except UnicodeDecodeError:
            fail(f"{path}: not UTF-8 text; save it as CSV UTF-8")
    _print_result(result, path)
    if not result.ok:
        raise typer.Exit(1)


def register(app: typer.Typer, import_app: typer.Typer) -> None:
    @import_app.command("tickets")
    def import_tickets_command(file: FileArg, dry_run: DryRun = False) -> None:
        """Import helpdesk tickets (upsert by id): id, account, severity, status, created_at, ..."""
        _run(file, dry_run, ImportKind.TICKETS)

    @import_app.command("ticket-events")
    def import_ticket_events_command(file: FileArg, dry_run: DryRun = False) -> None:
        """Import ticket status changes (ticket_id, at, status) that pause and resume SLA clocks."""
        _run(file, dry_run, ImportKind.TICKET_EVENTS)
