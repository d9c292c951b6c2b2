"""Listeners for the digest surface (filled by its own work)."""

from __future__ import annotations

from slack_bolt import App

from bot.services import Services


def register(app: App, services: Services) -> None:
    return None
