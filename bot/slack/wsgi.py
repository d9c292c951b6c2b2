"""WSGI entry point for servers configured from the outside: `gunicorn 'bot.slack.wsgi:app()'`."""

from __future__ import annotations

from bot.config import get_settings
from bot.logs import configure_logging
from bot.services import Services
from bot.slack.server import WSGIApp, create_wsgi


def app() -> WSGIApp:
    settings = get_settings()
    configure_logging(settings.log_level, settings.secret_values())
    services = Services.from_settings(settings, migrate=False)
    services.account_index()  # build the matcher before the first request
    return create_wsgi(services)
