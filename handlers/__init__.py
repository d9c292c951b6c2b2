"""Slack listeners, one module per surface; each exposes `register(app)`.

`register_all` is the whole list of what tierbot answers: nothing is registered from anywhere else.
Listeners are module-level functions; they reach the running tierbot through `context["services"]`
(see `handlers._context`).
"""

from __future__ import annotations

from slack_bolt import App

from handlers import (
    alerts,
    decision,
    decision_actions,
    digest,
    fallback,
    home,
    quarterly,
    reminders,
    report,
    scenario,
    tier,
)


def register_all(app: App) -> None:
    scenario.register(app)  # before tier: `/tier scenario …` must not reach the general /tier listener
    quarterly.register(app)  # before tier: it answers `/tier reviews`
    tier.register(app)
    decision.register(app)
    decision_actions.register(app)
    digest.register(app)
    reminders.register(app)
    home.register(app)
    alerts.register(app)
    report.register(app)
    fallback.register(app)  # last: it answers what nothing above took
