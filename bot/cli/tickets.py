"""CLI commands for tickets (filled by its own work)."""

from __future__ import annotations

import typer


def register(app: typer.Typer, import_app: typer.Typer) -> None:
    return None
