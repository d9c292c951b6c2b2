"""The composition root: the one module that builds the Bolt app and registers every listener, and
that hands the scheduled jobs (`bot.jobs.all_jobs()`) to the schedule machinery.

HTTP (`bot.slack.server`), the WSGI entry point, Socket Mode, the local console and the tests all get
their app from `create_app`; no other module under `bot/` imports `handlers`. `serve --with-scheduler`
and `tierbot scheduler` get their schedule from `start_scheduler` / `run_scheduler`.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.middleware import Middleware
from slack_sdk import WebClient

import handlers
from bot.logs import quiet_refused_bodies
from bot.services import Services
from bot.slack_api import web_client
from bot.slack_payloads import answer_for, answer_for_failure, problem
from handlers._subcommands import route
from storage.idempotency import claim, release

if TYPE_CHECKING:
    from bot.schedule.runner import SchedulerHandle

log = logging.getLogger(__name__)


class Plumbing(Middleware):
    """What every request needs before its listener runs, in one middleware (each costs a hop).

    - A payload whose shape Bolt's listener matching would trip on (an empty `actions` list raised
      IndexError there) is answered here (`bot.slack_payloads`; the WSGI guard checks the same before
      Bolt, this covers the console and Socket Mode).
    - A subcommand (`/tier scenario …`) gets its own command name (`handlers._subcommands`).

    - The services go into the listener's `context["services"]`: listeners are module-level
      functions, so this is how they reach the database, the policy and the clock.
    - Slack re-delivers an event it thinks failed (X-Slack-Retry-Num) with the same event_id: a
      claimed id means the work was done, and the retry only needs a 200.

    A class rather than an `@app.middleware` function: Bolt inspects a function's arguments on
    every request, which cost ~90 µs on each /tier.
    """

    def __init__(self, services: Services) -> None:
        self.services = services

    def process(
        self, *, req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]
    ) -> BoltResponse | None:
        body = req.body
        reason = problem(body)
        if reason is not None:
            # The reason and the size, never the body: it may hold anything.
            log.warning("refused a malformed payload: %s (%d bytes)", reason, len(req.raw_body))
            return answer_for(body)
        route(body)
        req.context["services"] = self.services
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if event_id and not claim(self.services.db, f"event:{event_id}"):
            return BoltResponse(status=200, body="")
        return next()


def create_app(
    services: Services,
    signing_secret: str | None = None,
    client: WebClient | None = None,
    *,
    verified_upstream: bool = False,
) -> App:
    """The Bolt app. `verified_upstream`: the caller (the WSGI guard, `bot.slack.guard`) has already
    checked Slack's signature on the raw bytes and refuses what fails, so Bolt's second HMAC and
    timestamp check (~12 µs a request) is skipped; every other caller keeps Bolt's own check."""
    settings = services.settings
    if signing_secret is None:
        signing_secret = (
            settings.slack_signing_secret.get_secret_value()
            if settings.slack_signing_secret
            else secrets.token_hex(16)
        )
    client = client or web_client(settings)
    bot_token = client.token

    def authorize(enterprise_id: str | None, team_id: str | None) -> AuthorizeResult:
        # One workspace, one token: Bolt's default would call auth.test on the first request, so a
        # Slack outage at that moment would fail even /tier, which needs no Web API call at all.
        return AuthorizeResult(enterprise_id=enterprise_id, team_id=team_id, bot_token=bot_token)

    # Bolt copies base_url, timeout and retry handlers from this client into each request's client;
    # the token comes from authorize().
    client.token = None
    app = App(
        client=client,
        authorize=authorize,
        signing_secret=signing_secret,
        # Answer within the request: every listener acks in milliseconds and defers slow work to lazy
        # listeners, which avoids the default runner's 10 ms ack polling (~14x the throughput).
        process_before_response=True,
        token_verification_enabled=False,
        request_verification_enabled=not verified_upstream,
        raise_error_for_unhandled_request=False,
        logger=logging.getLogger("tierbot.bolt"),
    )

    quiet_refused_bodies()  # Bolt would log the whole body of a request with a bad signature
    app.use(Plumbing(services))

    @app.error
    def on_error(error: Exception, body: Any) -> BoltResponse | None:
        # The log names the failure, never the payload (it may hold anything a user typed).
        log.error("listener failed: %s: %s", type(error).__name__, error)
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if event_id:
            # A listener that failed gives its event claim back and answers 500, so Slack's retry
            # does the work (nobody is waiting on an event's response).
            release(services.db, f"event:{event_id}")
            return None
        # A person is waiting on everything else: one clear line instead of a 500, which Slack would
        # show them as "dispatch_failed".
        return answer_for_failure(body)

    handlers.register_all(app)
    return app


def start_scheduler(services: Services, tick_seconds: int | None = None) -> SchedulerHandle[Services]:
    """Every job of `bot.jobs`, scheduled in threads of this process; `.shutdown()` stops it."""
    # Imported here: a web worker without the schedule never loads APScheduler.
    from bot.jobs import all_jobs
    from bot.schedule.runner import start_background_scheduler

    return start_background_scheduler(services, all_jobs(), tick_seconds)


def run_scheduler(services: Services, tick_seconds: int | None = None) -> None:
    """`tierbot scheduler`: every job of `bot.jobs` until SIGTERM or SIGINT."""
    from bot.jobs import all_jobs
    from bot.schedule.runner import run_blocking

    run_blocking(services, all_jobs(), tick_seconds)
