"""Snooze on review reminders (1 day, 1 week). Mark reviewed and Open belong to handlers/decision_actions.py."""

from __future__ import annotations

import re
from typing import Any
from zoneinfo import ZoneInfo

from slack_bolt import Ack, App, BoltContext, Respond

from bot.reviews import service as reviews
from bot.text import as_row_id
from bot.views import reminder_ids
from bot.views import reminders as reminder_view
from bot.views.blocks import fallback, section
from bot.views.format import local_time
from handlers._context import services_of
from handlers._guard import guarded


@guarded
def snooze(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond, context: BoltContext
) -> None:
    ack()
    choice = str(action.get("action_id", "")).rpartition(":")[2]
    decision_id = as_row_id(action.get("value"))
    if decision_id is None:
        return
    services = services_of(context)
    user = body.get("user", {}).get("id", "")
    tz = ZoneInfo(services.settings.default_timezone)
    snoozed = reviews.snooze_reminder(
        services.db, decision_id, user, choice, services.clock(), services.settings.admin_user_ids
    )
    if isinstance(snoozed, reviews.Refused):
        # Ephemeral, and the reminder is left as it is: its buttons stay for the owner.
        respond(
            replace_original=False, response_type="ephemeral", **reminder_view.snooze_refused_message(snoozed)
        )
        return
    until = snoozed.until
    blocks = (body.get("message") or {}).get("blocks")
    if blocks:
        respond(replace_original=True, **reminder_view.snoozed_message(blocks, decision_id, user, until, tz))
    else:
        text = f"Review reminder snoozed until {local_time(until, tz)}."
        respond(
            replace_original=False, response_type="ephemeral", text=fallback(text), blocks=[section(text)]
        )


def register(app: App) -> None:
    app.action({"action_id": re.compile(reminder_ids.SNOOZE_PATTERN)})(snooze)
