"""Slack listeners, one module per surface; each exposes `register(app, services)`.

`register_all` is the whole list of what tierbot answers: nothing is registered from anywhere else.
"""

from __future__ import annotations

from slack_bolt import App

from bot.services import Services
from handlers import decision, decision_actions, digest, home, quarterly, reminders, report, tier


def register_all(app: App, services: Services) -> None:
    quarterly.register(app)  # before tier: it answers `/tier reviews`
    tier.register(app, services)
    decision.register(app)
    decision_actions.register(app)
    digest.register(app)
    reminders.register(app)
    home.register(app)
    report.register(app)
