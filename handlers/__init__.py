"""Slack listeners, one module per surface. Each exposes `register(app, services)`."""

from __future__ import annotations

from slack_bolt import App

from bot.services import Services


def register_all(app: App, services: Services) -> None:
    from handlers import decision, digest, home, tier

    for module in (tier, decision, digest, home):
        module.register(app, services)
