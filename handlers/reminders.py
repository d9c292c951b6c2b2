"""Snooze on review reminders (1 day, 1 week). Mark reviewed and Open belong to handlers/decision_actions.py."""

from __future__ import annotations

import re
from typing import Any

from slack_bolt import Ack, App, Respond

from bot.schedule import acks
from bot.schedule.periods import zone
from bot.services import Services
from bot.views import reminder_ids
from bot.views import reminders as reminder_view
from bot.views.blocks import fallback, section
from bot.views.format import local_time
from handlers._guard import guarded


def register(app: App, services: Services) -> None:
    @app.action({"action_id": re.compile(reminder_ids.SNOOZE_PATTERN)})
    @guarded
    def snooze(ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        ack()
        choice = str(action.get("action_id", "")).rpartition(":")[2]
        try:
            decision_id = int(str(action.get("value") or ""))
        except ValueError:
            return
        user = body.get("user", {}).get("id", "")
        now = services.clock()
        tz = zone(services.settings.default_timezone)
        until = acks.snooze_until(choice, now, tz)
        # Setting the same snooze twice (a double click, a retried delivery) just moves `until` a few ms.
        acks.snooze_review(services.db, decision_id, user, until, now)
        blocks = (body.get("message") or {}).get("blocks")
        if blocks:
            respond(
                replace_original=True, **reminder_view.snoozed_message(blocks, decision_id, user, until, tz)
            )
        else:
            text = f"Review reminder snoozed until {local_time(until, tz)}."
            respond(
                replace_original=False, response_type="ephemeral", text=fallback(text), blocks=[section(text)]
            )
