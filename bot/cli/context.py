"""Shared CLI plumbing: building Services from the environment and failing with a clear message."""

from __future__ import annotations

import sys
from typing import NoReturn

import typer
from rich.console import Console

from bot.config import Settings, get_settings
from bot.logs import configure_logging
from bot.policy.model import PolicyError
from bot.services import Services

console = Console()
errors = Console(stderr=True)


def fail(message: str, code: int = 1) -> NoReturn:
    errors.print(f"[bold red]error:[/] {message}", highlight=False, markup=True)
    raise typer.Exit(code)


def load_services(settings: Settings | None = None) -> Services:
    settings = settings or get_settings()
    configure_logging(settings.log_level, settings.secret_values())
    try:
        return Services.from_settings(settings)
    except PolicyError as exc:
        fail(f"tier policy: {exc}")
    except Exception as exc:  # a database that cannot be reached at start-up
        if type(exc).__module__.startswith("sqlalchemy"):
            fail(f"database {settings.database_url.split('@')[-1]!r} unavailable: {exc.__class__.__name__}")
        raise


def is_tty() -> bool:
    return sys.stdout.isatty()
