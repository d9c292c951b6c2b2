"""Slack calls the decision listeners share (`handlers.decision`, `decision_actions`, `home`).

Not a listener module: it registers nothing, like `_guard` and `_context`, so listener modules can share
it without importing one another. What a record says is decided by `bot.decisions.service`, how it looks
by `bot.views`; this only moves it to Slack.
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

from slack_bolt import Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.decisions import service
from bot.decisions.results import Committed, DraftOpened
from bot.decisions.snapshot import RecordSnapshot
from bot.services import Services
from bot.views.decision_dialogs import notice_modal
from bot.views.decision_modal import ModalContext, frame_view
from bot.views.decision_record import notice_message, record_message

log = logging.getLogger(__name__)


def today(services: Services) -> date:
    return service.today(services.clock(), services.settings.default_timezone)


def user_of(body: dict[str, Any]) -> str:
    return str((body.get("user") or {}).get("id") or "")


def tell(body: dict[str, Any], respond: Respond | None, client: WebClient, text: str) -> None:
    """An answer only the clicking user sees: ephemeral in a message, a small modal elsewhere (App Home)."""
    in_message = (body.get("container") or {}).get("type") == "message"
    if respond is not None and in_message and body.get("response_url"):
        respond(response_type="ephemeral", replace_original=False, **notice_message(text))
    elif body.get("trigger_id"):
        client.views_open(trigger_id=body["trigger_id"], view=notice_modal("tierbot", text))


def modal_context(services: Services, draft_id: str, verb: str, account_ids: list[int]) -> ModalContext:
    names = services.account_index().names
    account_names = {a: names.get(a, f"Account {a}") for a in account_ids}
    return ModalContext(draft_id, verb, services.policy, today(services), account_names)


def open_frame(
    services: Services,
    client: WebClient,
    body: dict[str, Any],
    opened: DraftOpened,
    user_id: str,
    push: bool = False,
) -> None:
    """Show the first step of the modal on a draft the service started."""
    state = opened.state
    ctx = modal_context(services, opened.draft_id, state.verb, state.input.account_ids)
    view = frame_view(ctx, state.input, user_id)
    if push:
        client.views_push(trigger_id=body["trigger_id"], view=view)
    else:
        client.views_open(trigger_id=body["trigger_id"], view=view)


def post_committed(services: Services, client: WebClient, committed: Committed) -> None:
    """Post a new record where `commit` said, then update the messages of the records it changed."""
    if committed.post_to:
        post_record(services, client, committed.record, committed.post_to)
    for record in committed.refresh:
        refresh_record(services, client, record)


def post_record(
    services: Services, client: WebClient, record: RecordSnapshot, channels: tuple[str, ...]
) -> None:
    """Post the record to the first channel that takes it (decisions channel, then where it started)."""
    message = record_message(record, services.policy, today(services))
    for channel in channels:
        try:
            response = client.chat_postMessage(channel=channel, **message)
        except SlackApiError as exc:
            log.warning("could not post %s to %s: %s", record.short_id, channel, exc.response.get("error"))
            continue
        service.record_posted(services.db, record.id, str(response["channel"]), str(response["ts"]))
        return
    log.error("decision %s was stored but could not be posted anywhere", record.short_id)


def refresh_record(services: Services, client: WebClient, record: RecordSnapshot) -> None:
    """Bring the posted message of a record up to date after a change (no-op if it was never posted)."""
    if not record.message_channel or not record.message_ts:
        return
    message = record_message(record, services.policy, today(services))
    try:
        client.chat_update(channel=record.message_channel, ts=record.message_ts, **message)
    except SlackApiError as exc:
        log.warning("could not update %s: %s", record.short_id, exc.response.get("error"))
