"""App Home: published when a user opens the Home tab."""

from __future__ import annotations

from typing import Any

from slack_bolt import App, BoltContext
from slack_sdk import WebClient

from bot.decisions import service
from bot.quarterly import service as quarterly
from bot.views import quarterly as quarterly_view
from bot.views.home import DUE_SHOWN, OPEN_SHOWN, home_view
from handlers._context import services_of
from handlers._decisions import today
from handlers._guard import guarded


def home_opened(event: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    if event.get("tab", "home") != "home" or not event.get("user"):
        return
    services = services_of(context)
    day = today(services)
    lists = service.home(services.db, day, due_limit=DUE_SHOWN, open_limit=OPEN_SHOWN)
    now = services.clock()
    with services.db.session() as session:
        overdue, total = quarterly.overdue(session, services.policy, now, limit=quarterly_view.LISTED)
    extra = quarterly_view.home_blocks(overdue, total, now)
    client.views_publish(user_id=event["user"], view=home_view(lists, day, extra))


def register(app: App) -> None:
    app.event("app_home_opened")(guarded(home_opened))
