"""`tierbot decisions list|export|repost`: decision records from the terminal."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table
from rich.text import Text

from bot.cli.context import console, fail, load_services
from bot.decisions import service
from bot.decisions.export import to_json, to_markdown
from bot.decisions.listing import LIST_FILTERS, ListFilter, count_text
from bot.decisions.record import format_short_id, parse_short_id
from storage.models.schedule import PENDING, SENDING, SENT


def register(app: typer.Typer, import_app: typer.Typer) -> None:
    decisions = typer.Typer(
        help="Tiering decision records: list them, export one, post one again.", no_args_is_help=True
    )
    app.add_typer(decisions, name="decisions")

    @decisions.command("list")
    def list_command(
        status: str = typer.Option(
            "open", "--status", help="open (in force), due (review date reached) or all"
        ),
        limit: int = typer.Option(100, "--limit", min=1, max=10_000),
    ) -> None:
        """Print decision records."""
        if status not in LIST_FILTERS:
            fail(f"--status must be one of {', '.join(LIST_FILTERS)}, not {status!r}")
        services = load_services()
        today = service.today(services.clock(), services.settings.default_timezone)
        listing = service.list_lines(services.db, ListFilter(status), limit, today)
        lines, total = listing.lines, listing.total
        table = Table(
            title=f"Decisions ({status}): {count_text(total)}"
            + (f", {len(lines)} shown" if total > len(lines) else "")
        )
        for column in ("Id", "Title", "Owner", "Status", "Review date"):
            table.add_column(column, overflow="fold")
        for line in lines:
            state = line.status + (f" ({line.last_outcome})" if line.last_outcome else "")
            due = " (due)" if line.in_force and line.review_date <= today else ""
            title = line.title.strip()
            # Text(), not str: a title like "[red] tier" is the user's text, not Rich markup.
            table.add_row(
                line.short_id,
                Text(title if len(title) <= 80 else title[:79] + "…"),
                Text(line.owner),
                state,
                line.review_date.isoformat() + due,
            )
        console.print(table)

    @decisions.command("export")
    def export_command(
        decision: str = typer.Argument(..., help="The record's id, e.g. D-42"),
        fmt: str = typer.Option("md", "--format", help="md (a Markdown decision record) or json"),
        output: Path | None = typer.Option(
            None, "--output", "-o", help="Write to this file instead of stdout"
        ),
    ) -> None:
        """Write one record as a Markdown decision record or as JSON."""
        if fmt not in ("md", "json"):
            fail(f"--format must be md or json, not {fmt!r}")
        decision_id = parse_short_id(decision)
        if decision_id is None:
            fail(f"{decision!r} is not a decision id; write it like D-42")
        services = load_services()
        record = service.record(services.db, decision_id)
        if record is None:
            fail(f"there is no decision {format_short_id(decision_id)}")
        text = to_markdown(record, services.policy) if fmt == "md" else to_json(record)
        if output is None:
            typer.echo(text, nl=False)
            return
        try:
            output.write_text(text, encoding="utf-8")
        except OSError as exc:
            fail(f"cannot write {output}: {exc.strerror}")
        console.print(f"{record.short_id} written to {output}", highlight=False, markup=False)

    @decisions.command("repost")
    def repost_command(decision: str = typer.Argument(..., help="The record's id, e.g. D-42")) -> None:
        """Queue a record's Slack post again after tierbot gave up on it (the decision-posts job posts
        it at its next tick, or now with `tierbot jobs run decision-posts`)."""
        decision_id = parse_short_id(decision)
        if decision_id is None:
            fail(f"{decision!r} is not a decision id; write it like D-42")
        services = load_services()
        sid = format_short_id(decision_id)
        done = service.repost(services.db, decision_id, services.settings.decisions_channel, services.clock())
        if done is None:
            fail(f"there is no decision {sid}")
        if done.previous == SENT:
            console.print(
                f"{sid} is already posted ({done.channel}, ts {done.ts}); nothing to do.", markup=False
            )
        elif done.previous in (PENDING, SENDING):
            console.print(
                f"{sid} is already queued for {done.channel}; the decision-posts job posts it.", markup=False
            )
        else:
            console.print(
                f"{sid} is queued for {done.channel}; the decision-posts job posts it at its next tick "
                "(or now: tierbot jobs run decision-posts).",
                markup=False,
            )
