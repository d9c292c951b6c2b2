"""Acknowledge / Snooze / Open ticket on SLA alerts and escalations. Thin: parse, call, render.

Listeners are module-level; they reach the running tierbot through `services_of(context)`.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from slack_bolt import Ack, App, BoltContext, Respond

from bot.alerts import service
from bot.alerts.model import AckResult
from bot.digest.acks import snooze_until
from bot.services import Services
from bot.sla.clock import Metric
from bot.views import alert_ids
from bot.views import alerts as alert_view
from bot.views.format import escape_mrkdwn, user_mention
from handlers._context import services_of
from handlers._guard import guarded

TARGETS = frozenset(Metric)


def _parse(value: str) -> tuple[str, str] | None:
    ticket_id, _, target = value.rpartition("|")
    if not ticket_id or target not in TARGETS:
        return None
    return ticket_id[:64], target


def _update(services: Services, body: dict[str, Any], respond: Respond, result: AckResult, note: str) -> None:
    """Replace the alert's buttons with who acknowledged (or snoozed) it, for everyone in the channel."""
    tz = ZoneInfo(services.settings.default_timezone)
    status = alert_view.status_block(result, services.clock(), tz)
    message = body.get("message") or {}
    blocks = message.get("blocks")
    if status is not None and blocks:
        new_blocks, found = alert_view.replace_status(blocks, status)
        if found:
            respond(replace_original=True, text=message.get("text") or note, blocks=new_blocks)
            return
    respond(replace_original=False, response_type="ephemeral", text=note)


@guarded
def acknowledge(ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond, context: BoltContext) -> None:  # fmt: skip
    ack()
    parsed = _parse(str(action.get("value") or ""))
    if parsed is None:
        return
    services = services_of(context)
    user = str((body.get("user") or {}).get("id") or "")
    with services.db.session() as session:
        result = service.acknowledge(session, *parsed, user, services.clock())
    who = user_mention(result.acked_by) if result.acked_by else "someone"
    _update(services, body, respond, result, f"`{escape_mrkdwn(parsed[0])}` acknowledged by {who}.")


@guarded
def snooze(ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond, context: BoltContext) -> None:  # fmt: skip
    ack()
    value = str((action.get("selected_option") or {}).get("value") or action.get("value") or "")
    rest, _, choice = value.rpartition("|")
    parsed = _parse(rest)
    if parsed is None or choice not in alert_ids.SNOOZE_CHOICES:
        return
    services = services_of(context)
    now = services.clock()
    until = snooze_until(choice, now, ZoneInfo(services.settings.default_timezone))
    user = str((body.get("user") or {}).get("id") or "")
    with services.db.session() as session:
        result = service.snooze(session, *parsed, user, until, now)
    if result.acked_by:
        note = f"`{escape_mrkdwn(parsed[0])}` was already acknowledged by {user_mention(result.acked_by)}."
    else:
        note = f"`{escape_mrkdwn(parsed[0])}` snoozed."
    _update(services, body, respond, result, note)


@guarded
def open_ticket(ack: Ack) -> None:
    ack()  # a link button: Slack opens the URL, and still expects the action to be acknowledged


def register(app: App) -> None:
    app.action(alert_ids.ACK)(acknowledge)
    app.action(alert_ids.SNOOZE)(snooze)
    app.action(alert_ids.OPEN)(open_ticket)
