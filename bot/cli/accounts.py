"""`tierbot import accounts FILE.csv`: load accounts all-or-nothing, with a dry run that shows tier moves."""

from __future__ import annotations

from pathlib import Path
from types import TracebackType

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text
from sqlalchemy.exc import SQLAlchemyError

from bot.accounts import service
from bot.accounts.importer import ImportReport
from bot.cli.context import console, errors, fail, load_services
from bot.policy.model import Policy

MAX_ERRORS_SHOWN = 50
MAX_MOVES_SHOWN = 25
# Below this a bar would flash by; above it a non-terminal run gets one line per phase instead.
PROGRESS_MIN_BYTES = 256 * 1024
PHASES = {"read": "Reading", "plan": "Checking", "write": "Writing"}


class _ImportProgress:
    """A rich progress bar on a terminal; on a pipe or in CI, one plain line per phase on stderr."""

    def __init__(self, out: Console, size: int) -> None:
        self.out = out
        self.live = out.is_terminal and size >= PROGRESS_MIN_BYTES
        self.plain = not out.is_terminal and size >= PROGRESS_MIN_BYTES
        self.bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=out,
            transient=True,
        )
        self.tasks: dict[str, TaskID] = {}
        self.announced: set[str] = set()

    def __enter__(self) -> _ImportProgress:
        if self.live:
            self.bar.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self.live:
            self.bar.stop()

    def __call__(self, phase: str, done: int, total: int | None) -> None:
        label = PHASES.get(phase, phase)
        if self.plain and phase not in self.announced:
            self.announced.add(phase)
            errors.print(f"{label}…", highlight=False)
        if not self.live:
            return
        if phase not in self.tasks:
            self.tasks[phase] = self.bar.add_task(label, total=total)
        self.bar.update(self.tasks[phase], completed=done, total=total)


def _tier_name(policy: Policy, key: str | None) -> str:
    if key is None:
        return "—"
    return policy.tier_name(key)


def _print_errors(report: ImportReport) -> None:
    errors.print(
        f"[bold red]{report.source}: {len(report.errors)} problem(s) on {report.bad_lines} line(s); "
        "nothing was imported.[/]",
        highlight=False,
    )
    for problem in report.errors[:MAX_ERRORS_SHOWN]:
        errors.print(Text(f"  {problem}"), highlight=False)
    if len(report.errors) > MAX_ERRORS_SHOWN:
        errors.print(f"  … and {len(report.errors) - MAX_ERRORS_SHOWN:,} more", highlight=False)


def _print_moves(report: ImportReport, policy: Policy) -> None:
    if not report.tier_moves:
        return
    verb = "would move" if report.dry_run else "moved"
    table = Table(title=f"{len(report.tier_moves):,} account(s) {verb} tier", title_justify="left")
    for column in ("Line", "Account", "From", "To", "Why"):
        table.add_column(column, overflow="fold")
    for move in report.tier_moves[:MAX_MOVES_SHOWN]:
        table.add_row(
            str(move.line),
            Text(move.name),
            _tier_name(policy, move.from_tier),
            _tier_name(policy, move.to_tier),
            Text(move.detail),
        )
    console.print(table)
    if len(report.tier_moves) > MAX_MOVES_SHOWN:
        console.print(f"… and {len(report.tier_moves) - MAX_MOVES_SHOWN:,} more", highlight=False)


def print_report(report: ImportReport, policy: Policy) -> None:
    for note in report.notes:
        console.print(Text(f"note: {note}"), highlight=False)
    if report.errors:
        _print_errors(report)
        return
    counts = f"{report.new:,} new, {report.updated:,} updated, {report.unchanged:,} unchanged"
    if report.dry_run:
        console.print(f"Dry run of {report.source}: {counts}. Nothing was written.", highlight=False)
    else:
        console.print(f"Imported {report.source}: {counts}.", highlight=False)
    if report.new_by_tier:
        by_tier = ", ".join(
            f"{_tier_name(policy, tier.key)} {report.new_by_tier[tier.key]:,}"
            for tier in policy.tiers
            if tier.key in report.new_by_tier
        )
        console.print(f"New accounts by tier: {by_tier}", highlight=False)
    _print_moves(report, policy)


def import_accounts_command(
    file: Path = typer.Argument(..., help="CSV with a header row; name and acv are required."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Show what would change; write nothing."),
    actor: str = typer.Option(None, "--actor", help="Who the tier history names (default: import:FILE)."),
) -> None:
    """Load accounts from CSV: all rows or none; re-importing updates by external_id, else by name."""
    if not file.is_file():
        fail(f"{file}: no such file")
    services = load_services()
    try:
        with _ImportProgress(console, file.stat().st_size) as progress:
            report = service.import_accounts(
                services.db,
                services.policy,
                file,
                dry_run=dry_run,
                actor=actor,
                now=services.clock(),
                progress=progress,
                max_bytes=services.settings.import_max_bytes,
            )
    except SQLAlchemyError as exc:
        fail(f"database error, nothing was imported: {exc.__class__.__name__}: {str(exc).splitlines()[0]}")
    print_report(report, services.policy)
    if report.errors:
        raise typer.Exit(1)


def register(app: typer.Typer, import_app: typer.Typer) -> None:
    import_app.command("accounts")(import_accounts_command)
