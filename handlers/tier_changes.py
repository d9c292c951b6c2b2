"""Tier-change alerts in Slack: *Set override* on an alert and its modal. Thin: parse, call, render.

The button opens the modal at once (trigger_id lives 3 s); the submission calls the accounts'
override use case, whose refusals come back as field errors. The write claims the view's id as its
idempotency key, so a double submit or a retried delivery sets the override once (the replay gets the
same answer)."""

from __future__ import annotations

from datetime import date
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot.accounts import service
from bot.accounts.overrides import Refused
from bot.text import as_row_id
from bot.views import tier_change_ids as ids
from bot.views import tier_changes as view
from bot.views.notice import notice_view
from handlers._context import services_of
from handlers._guard import guarded


@guarded
def open_override(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    ack()
    services = services_of(context)
    user = str((body.get("user") or {}).get("id") or "")
    trigger = str(body.get("trigger_id") or "")
    if not services.settings.is_admin(user):
        client.views_open(trigger_id=trigger, view=notice_view(view.NOT_ADMIN, title="Set override"))
        return
    account_id = as_row_id(action.get("value"))
    target = service.override_target(services.db, account_id) if account_id is not None else None
    if account_id is None or target is None:
        client.views_open(trigger_id=trigger, view=notice_view(view.ACCOUNT_GONE, title="Set override"))
        return
    name, tier = target
    client.views_open(trigger_id=trigger, view=view.override_modal(account_id, name, tier, services.policy))


def _value(values: dict[str, Any], block: str, action: str) -> dict[str, Any]:
    found = (values.get(block) or {}).get(action) or {}
    return found if isinstance(found, dict) else {}


@guarded
def submit_override(ack: Ack, body: dict[str, Any], view_data: dict[str, Any], context: BoltContext) -> None:
    services = services_of(context)
    account_id = as_row_id(view_data.get("private_metadata"))
    values = (view_data.get("state") or {}).get("values") or {}
    tier = str(
        (_value(values, ids.TIER_BLOCK, ids.TIER_INPUT).get("selected_option") or {}).get("value") or ""
    )
    reason = str(_value(values, ids.REASON_BLOCK, ids.REASON_INPUT).get("value") or "")
    picked = _value(values, ids.UNTIL_BLOCK, ids.UNTIL_INPUT).get("selected_date")
    try:
        until = date.fromisoformat(str(picked)) if picked else None
    except ValueError:
        ack(response_action="errors", errors={ids.UNTIL_BLOCK: "Pick a date from the calendar."})
        return
    if account_id is None:
        ack(response_action="errors", errors={ids.TIER_BLOCK: view.ACCOUNT_GONE})
        return
    user = str((body.get("user") or {}).get("id") or "")
    outcome = service.set_override_on(
        services.db,
        services.accounts,
        services.policy,
        account_id,
        tier,
        reason,
        user,
        services.settings.is_admin(user),
        services.clock(),
        until,
        # One modal, one override: Slack's view id is the same for a double submit and a retry.
        delivery_key=f"tier-change-override:{view_data.get('id') or view_data.get('hash') or account_id}",
    )
    if isinstance(outcome, Refused):
        ack(response_action="errors", errors=view.override_errors(outcome))
        return
    ack(response_action="update", view=notice_view(view.override_done(outcome), title="Set override"))


def _submit(ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext) -> None:
    # Bolt passes the submitted view as `view`; the listener names it view_data so the module can
    # keep `view` for bot.views.tier_changes.
    submit_override(ack=ack, body=body, view_data=view, context=context)


def register(app: App) -> None:
    app.action(ids.SET_OVERRIDE)(open_override)
    app.view(ids.OVERRIDE_MODAL)(_submit)
