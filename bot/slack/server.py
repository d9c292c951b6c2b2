"""The WSGI application (POST /slack/events, GET /healthz) and the production server around it."""

from __future__ import annotations

import atexit
import logging
import secrets
import time
from collections.abc import Callable, Iterable
from typing import Any

from slack_bolt.adapter.wsgi import SlackRequestHandler
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from bot.main import create_app
from bot.services import Services
from bot.slack.guard import SlackRequestGuard, WSGIApp, answer
from storage.db import head_revisions

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"

__all__ = ["WSGIApp", "create_wsgi", "serve"]


class Health:
    """GET /healthz: 200 when the database answers and its schema is at the newest migration.

    The schema check (two small queries) is remembered for SCHEMA_TTL seconds: load balancers poll
    every few seconds per instance, and a migration applied by the release step shows within 5 s.
    Reachability is checked on every call, so an outage shows at once.
    """

    SCHEMA_TTL = 5.0

    def __init__(self, services: Services) -> None:
        self.services = services
        self._schema: tuple[object, float, str | None] | None = None  # (database, until, problem)

    def __call__(self, start_response: Callable[..., Any]) -> Iterable[bytes]:
        try:
            with self.services.db.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            problem = self._schema_problem()
        except SQLAlchemyError:
            problem = "database unreachable"
        if problem is None:
            return answer(start_response, "200 OK", {"ok": True})
        return answer(start_response, "503 Service Unavailable", {"ok": False, "error": problem})

    def _schema_problem(self) -> str | None:
        db, now = self.services.db, time.monotonic()
        cached = self._schema
        if cached is not None and cached[0] is db and now < cached[1]:
            return cached[2]
        current, heads = db.current_revisions(), head_revisions()
        problem = None
        if current != heads:
            problem = (
                f"database schema is at {', '.join(sorted(current)) or 'no migration'}, not at the "
                f"newest migration {', '.join(sorted(heads))}: run `tierbot db upgrade`"
            )
        self._schema = (db, now + self.SCHEMA_TTL, problem)
        return problem


def create_wsgi(services: Services, signing_secret: str | None = None, **app_kwargs: Any) -> WSGIApp:
    settings = services.settings
    if signing_secret is None:
        secret = settings.slack_signing_secret
        signing_secret = secret.get_secret_value() if secret else secrets.token_hex(16)
    bolt = SlackRequestHandler(
        create_app(services, signing_secret=signing_secret, verified_upstream=True, **app_kwargs),
        path=EVENTS_PATH,
    )
    events = SlackRequestGuard(bolt, signing_secret, settings.max_body_bytes, EVENTS_PATH)
    health = Health(services)

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == "/healthz" and environ.get("REQUEST_METHOD") in ("GET", "HEAD"):
            return health(start_response)
        try:
            return events(environ, start_response)
        except Exception as exc:
            # The guard lets through only signed bodies of a shape Bolt reads; this is the net under
            # it, so whatever Bolt still trips on is a 400 naming the error, not a 500 with a trace.
            # The body is never logged.
            log.warning("refused a request Bolt could not read: %s", type(exc).__name__)
            return answer(start_response, "400 Bad Request", {"error": "malformed request"})

    return app


def serve(
    services_factory: Callable[[], Services],
    host: str,
    port: int,
    workers: int,
    threads: int,
    with_scheduler: bool = False,
) -> None:
    """Pre-forked gunicorn workers that read requests with waitress (`bot.slack.worker`).

    Each worker builds its own Services after the fork (engines do not survive it) and runs `threads`
    application threads; a connection holds a thread only once its whole request has arrived.
    """
    from gunicorn.app.base import BaseApplication

    class _Gunicorn(BaseApplication):  # type: ignore[misc, unused-ignore]  # gunicorn ships no type hints
        def load_config(self) -> None:
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", workers)
            self.cfg.set("threads", threads)
            self.cfg.set("worker_class", "bot.slack.worker.WaitressWorker")
            self.cfg.set("accesslog", None)

        def load(self) -> WSGIApp:
            services = services_factory()
            services.account_index()  # warm the matcher before the first request arrives
            if with_scheduler:
                # In each worker, after the fork: no scheduler thread ever crosses a fork, and the
                # lease in the database lets exactly one of the workers' schedulers post.
                from bot.main import start_scheduler

                handle = start_scheduler(services)
                atexit.register(handle.shutdown)
            return create_wsgi(services)

    _Gunicorn().run()
