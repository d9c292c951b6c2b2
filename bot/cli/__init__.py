"""`tierbot` command line. Each feature adds its commands from its own module via `register(...)`."""

from __future__ import annotations

import typer

from bot.cli import accounts, alerts, core, decisions, jobs, report, scenarios, sync, tickets, tiers

app = typer.Typer(
    help="tierbot: support tiers, SLAs and tiering decisions, in Slack and here.", no_args_is_help=True
)
import_app = typer.Typer(help="Load data from CSV files (all-or-nothing).", no_args_is_help=True)
app.add_typer(import_app, name="import")

for module in (core, tiers, accounts, tickets, decisions, jobs, scenarios, alerts, sync, report):
    module.register(app, import_app)


def main() -> None:
    app()
