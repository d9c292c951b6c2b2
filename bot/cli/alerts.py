"""`tierbot ticket show ID`: a ticket's alert steps, escalations and acknowledgements (issue 11)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from bot.alerts import service
from bot.cli.context import console, fail, load_services


def register(app: typer.Typer, import_app: typer.Typer) -> None:
    ticket_app = typer.Typer(
        help="One ticket: its SLA alerts and who acknowledged them.", no_args_is_help=True
    )
    app.add_typer(ticket_app, name="ticket")

    @ticket_app.command("show")
    def show(ticket_id: Annotated[str, typer.Argument(help="The helpdesk's ticket id.")]) -> None:
        """Every alert step and escalation level of a ticket (fired, late, skipped and why) and its acks."""
        services = load_services()
        with services.db.session() as session:
            found = service.history(session, ticket_id)
        if not found.entries and not found.acks:
            fail(f"no alerts recorded for ticket {ticket_id!r}")
        table = Table(
            "target", "step", "outcome", "due", "handled", "channel", "reason", title=f"Alerts of {ticket_id}"
        )
        for e in found.entries:
            table.add_row(
                e.target, e.step, e.outcome.value, e.due_at.isoformat(timespec="minutes"),
                e.at.isoformat(timespec="minutes"), e.channel or "", e.reason or "",
            )  # fmt: skip
        console.print(table)
        for ack in found.acks:
            if ack.acked_by:
                when = ack.acked_at.isoformat(timespec="minutes") if ack.acked_at else ""
                console.print(f"{ack.target}: acknowledged by {ack.acked_by} at {when}", highlight=False)
            elif ack.snoozed_until:
                until = ack.snoozed_until.isoformat(timespec="minutes")
                console.print(f"{ack.target}: snoozed by {ack.snoozed_by} until {until}", highlight=False)
