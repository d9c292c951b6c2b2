"""Running tierbot: `run` (what `make run` calls), `serve`, `console`, `db`, `sample-data`."""

from __future__ import annotations

import os

import typer

from bot.cli.context import console, fail, load_services
from bot.config import get_settings
from bot.services import Services


def _services_for_worker() -> Services:
    # Each gunicorn worker builds its own engine; the master already migrated the schema.
    return Services.from_settings(get_settings(), migrate=False)


def register(app: typer.Typer, import_app: typer.Typer) -> None:
    db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
    app.add_typer(db_app, name="db")

    @db_app.command("upgrade")
    def db_upgrade() -> None:
        """Apply every pending migration (the Procfile's release step)."""
        services = load_services()
        services.db.upgrade()
        console.print("database schema is up to date")

    @app.command("sample-data")
    def sample_data() -> None:
        """Load the bundled sample accounts and tickets (skipped when accounts exist)."""
        from bot.sample_data import load_sample_data

        console.print(load_sample_data(load_services()))

    @app.command("console")
    def run_console() -> None:
        """Type slash commands and see what Slack would show, without a Slack workspace."""
        from bot.sample_data import load_sample_data
        from bot.slack.console import Console

        services = load_services()
        console.print(load_sample_data(services))
        Console(services, show=lambda s: console.print(s, markup=False, highlight=False)).loop()

    @app.command("serve")
    def serve(
        port: int = typer.Option(None, help="Port (default: $PORT or 3000)."),
        host: str = typer.Option("0.0.0.0", help="Interface to bind."),
        workers: int = typer.Option(int(os.environ.get("WEB_CONCURRENCY", "2")), help="Worker processes."),
        threads: int = typer.Option(4, help="Threads per worker."),
        with_scheduler: bool = typer.Option(
            False, "--with-scheduler", help="Also run the schedule in this process (small teams)."
        ),
    ) -> None:
        """Serve Slack over HTTP (POST /slack/events, GET /healthz) under gunicorn."""
        from bot.slack.server import serve as gunicorn_serve

        settings = get_settings()
        if not settings.has_slack_http:
            fail("serving Slack needs SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET (or run `tierbot console`).")
        load_services()  # migrates once, in the master, before workers fork
        gunicorn_serve(_services_for_worker, host, port or settings.port, workers, threads, with_scheduler)

    @app.command("run")
    def run(
        with_scheduler: bool = typer.Option(
            True, "--with-scheduler/--no-scheduler", help="Run the schedule too."
        ),
    ) -> None:
        """Start tierbot the way the environment allows: Socket Mode, HTTP, or the local console."""
        from bot.sample_data import load_sample_data

        settings = get_settings()
        services = load_services()
        console.print(load_sample_data(services))
        if settings.has_socket_mode:
            from slack_bolt.adapter.socket_mode import SocketModeHandler

            from bot.main import create_app

            assert settings.slack_app_token is not None
            console.print("serving Slack over Socket Mode")
            if with_scheduler:
                from bot.main import start_scheduler

                start_scheduler(services)
            SocketModeHandler(create_app(services), settings.slack_app_token.get_secret_value()).start()  # type: ignore[no-untyped-call]
        elif settings.has_slack_http:
            from bot.slack.server import serve as gunicorn_serve

            console.print(f"serving Slack over HTTP on port {settings.port}")
            gunicorn_serve(_services_for_worker, "0.0.0.0", settings.port, 2, 4, with_scheduler)
        else:
            from bot.slack.console import Console

            console.print("no Slack credentials set: opening the local console (see README to connect Slack)")
            Console(services, show=lambda s: console.print(s, markup=False, highlight=False)).loop()
