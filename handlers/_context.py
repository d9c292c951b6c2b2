"""How a module-level listener reaches the running tierbot: `bot.main` puts the services into every
request's context (lazy listeners get the same object: `Services.__deepcopy__` returns itself)."""

from __future__ import annotations

from slack_bolt import BoltContext

from bot.services import Services


def services_of(context: BoltContext) -> Services:
    services = context["services"]
    assert isinstance(services, Services)
    return services
