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
    tier_changes,
    unfurl,
)


def register_all(app: App) -> None:
    # First, always: Bolt tries listeners in this order and each one it passes over costs a /tier
    # request ~70 µs (Bolt builds every listener argument to match it). Subcommands such as
    # `/tier scenario` have command names of their own (handlers._subcommands), so order does not
    # decide who answers them.
    tier.register(app)
    decision.register(app)
    decision_actions.register(app)
    digest.register(app)
    reminders.register(app)
    home.register(app)
    alerts.register(app)
    report.register(app)
    scenario.register(app)
    quarterly.register(app)
    tier_changes.register(app)
    unfurl.register(app)
    fallback.register(app)  # last: it answers what nothing above took
