"""The WSGI application (POST /slack/events, GET /healthz) and the production server around it."""

from __future__ import annotations

import atexit
import json
import logging
from collections.abc import Callable, Iterable
from typing import Any

from slack_bolt.adapter.wsgi import SlackRequestHandler
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from bot.main import create_app
from bot.services import Services

log = logging.getLogger(__name__)

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def create_wsgi(services: Services, **app_kwargs: Any) -> WSGIApp:
    bolt = SlackRequestHandler(create_app(services, **app_kwargs), path="/slack/events")

    def health(start_response: Callable[..., Any]) -> Iterable[bytes]:
        try:
            with services.db.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            status, payload = "200 OK", json.dumps({"ok": True}).encode()
        except SQLAlchemyError:
            payload = json.dumps({"ok": False, "error": "database unreachable"}).encode()
            status = "503 Service Unavailable"
        start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))])
        return [payload]

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == "/healthz" and environ.get("REQUEST_METHOD") in ("GET", "HEAD"):
            return health(start_response)
        try:
            return bolt(environ, start_response)
        except Exception as exc:
            # Bolt parses the body before it checks the signature or runs any middleware, and a form
            # whose `payload` is not a JSON object (`payload=%7Bbad`, `payload=[1]`) or a JSON body that
            # is not an object raises there: a 500 and a traceback. Nothing was read or changed, so
            # the answer is a 400; the log names the error, never the body.
            log.warning(
                "refused an unreadable request: %s (%s bytes)",
                type(exc).__name__,
                environ.get("CONTENT_LENGTH"),
            )
            payload = b'{"error":"malformed request"}'
            start_response(
                "400 Bad Request",
                [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))],
            )
            return [payload]

    return app


def serve(
    services_factory: Callable[[], Services],
    host: str,
    port: int,
    workers: int,
    threads: int,
    with_scheduler: bool = False,
) -> None:
    """Run under gunicorn: pre-forked workers, each building its own Services (engines do not survive fork)."""
    from gunicorn.app.base import BaseApplication

    class _Gunicorn(BaseApplication):  # type: ignore[misc]  # gunicorn ships no type hints
        def load_config(self) -> None:
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", workers)
            self.cfg.set("threads", threads)
            self.cfg.set("worker_class", "gthread" if threads > 1 else "sync")
            self.cfg.set("keepalive", 5)
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
