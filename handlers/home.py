"""App Home: published when a user opens the Home tab."""

from __future__ import annotations

from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from bot.decisions.listing import ListQuery, list_decisions
from bot.services import Services
from bot.views.home import DUE_SHOWN, OPEN_SHOWN, home_view
from handlers._guard import guarded
from handlers.decision_actions import today


def home_for(services: Services) -> dict[str, Any]:
    day = today(services)
    with services.db.session() as session:
        due, due_total = list_decisions(session, ListQuery(status="due", limit=DUE_SHOWN), day)
        open_, open_total = list_decisions(session, ListQuery(status="open", limit=OPEN_SHOWN), day)
        return home_view(due, due_total, open_, open_total, day)


def register(app: App, services: Services) -> None:
    @app.event("app_home_opened")
    @guarded
    def home_opened(event: dict[str, Any], client: WebClient) -> None:
        if event.get("tab", "home") != "home" or not event.get("user"):
            return
        client.views_publish(user_id=event["user"], view=home_for(services))
