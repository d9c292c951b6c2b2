"""Slack calls the decision listeners share (`handlers.decision`, `decision_actions`, `home`).

Not a listener module: it registers nothing, like `_guard` and `_context`, so listener modules can share
it without importing one another. What a record says is decided by `bot.decisions.service`, how it looks
by `bot.views`; this only moves it to Slack.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import date
from typing import Any

from slack_bolt import Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.decisions import service
from bot.decisions.delivery import JOB, Delivered, Kind, version_of
from bot.decisions.results import DraftOpened
from bot.schedule.leader import holder_id
from bot.schedule.ledger import Claimed, DeliveryKey
from bot.schedule.poster import LedgerPoster, Outcome, SlackSender
from bot.services import Services
from bot.views.decision_delivery import delivery_payload, pending_text, posted_text
from bot.views.decision_dialogs import notice_modal
from bot.views.decision_modal import ModalContext, frame_view
from bot.views.decision_record import notice_message
from storage.models.schedule import PENDING, SENT

log = logging.getLogger(__name__)

# Seconds `views.open` may take before the user is told it failed. Slack wants a command's answer within
# 3 s of sending it and a trigger_id dies after 3 s, so waiting out the request client's own 3 s would
# answer too late; 2 s leaves ~1 s for the draft write and the answer's way back.
OPEN_TIMEOUT = 2
NOT_OPENED = "Slack did not open the form in time; nothing was saved. Please try again."


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
) -> str | None:
    """Show the first step of the modal on a draft the service started. When Slack refuses it or does
    not answer within OPEN_TIMEOUT, the draft is deleted (no modal will ever submit it) and the text to
    tell the user is returned; None when the modal is open."""
    state = opened.state
    ctx = modal_context(services, opened.draft_id, state.verb, state.input.account_ids)
    view = frame_view(ctx, state.input, user_id)
    quick = WebClient(
        token=client.token,
        base_url=client.base_url,
        timeout=OPEN_TIMEOUT,
        ssl=client.ssl,
        proxy=client.proxy,
        headers=client.headers,
        retry_handlers=[],
    )
    try:
        if push:
            quick.views_push(trigger_id=body.get("trigger_id"), view=view)
        else:
            quick.views_open(trigger_id=body.get("trigger_id"), view=view)
    except Exception as exc:  # SlackApiError, or a timeout or dropped connection (urllib's own errors)
        error = exc.response.get("error") if isinstance(exc, SlackApiError) else type(exc).__name__
        log.warning("views.%s failed (%s); draft dropped", "push" if push else "open", error)
        service.discard_draft(services.db, opened.draft_id, user_id)
        return NOT_OPENED
    return None


def not_opened(body: dict[str, Any], respond: Respond | None, text: str) -> None:
    """Tell a clicking user the form did not open (ephemeral, where there is a message to answer in;
    elsewhere, App Home, the trigger is spent and the log line is all there is)."""
    if respond is not None and body.get("response_url"):
        try:
            respond(response_type="ephemeral", replace_original=False, **notice_message(text))
        except Exception:
            log.warning("could not tell the user the form did not open")


def prepare_delivery(services: Services, claimed: Claimed) -> Claimed | None:
    """A queued `decision-post` row rendered as its record (or notice) is now; None if the record is
    gone. The version shown and the attempt travel with it, for `delivery_done`."""
    item = service.delivery_item(services.db, claimed.payload)
    if item is None:
        return None
    rendered = delivery_payload(item, services.policy, today(services))
    extra = {"version": version_of(item.record), "attempt": claimed.attempts}
    return replace(claimed, payload={**claimed.payload, **rendered, **extra})


def delivery_done(services: Services, outcome: Outcome) -> Delivered:
    data = outcome.payload or {}
    return service.delivered(
        services.db,
        data,
        status=outcome.status,
        channel=outcome.channel,
        ts=outcome.ts,
        error=outcome.error,
        attempt=int(data.get("attempt") or 1),
        shown_version=data.get("version"),
        now=services.clock(),
    )


def deliver_now(services: Services, client: WebClient, keys: tuple[DeliveryKey, ...]) -> None:
    """Attempt the `decision-post` rows a change just queued, once each, with this request's client
    (3 s timeout, no retry handlers); whatever fails stays in the ledger for the `decision-posts` job,
    which retries it (Retry-After, back-off, a history check after a timeout). The author is told
    where the record went, or that it is delayed."""
    poster = LedgerPoster(services.db, lambda: services.clock(), SlackSender(client), holder_id())
    queue = list(keys)
    while queue:
        key = queue.pop(0)
        for outcome in poster.retry_due(JOB, lambda c: prepare_delivery(services, c), key=key):
            done = delivery_done(services, outcome)
            queue += done.follow_up
            if done.kind is Kind.POST:
                _tell_author(client, done, outcome.payload or {})


def _tell_author(client: WebClient, done: Delivered, data: dict[str, Any]) -> None:
    """An ephemeral line in the channel the flow started in (a DM or App Home has none to use)."""
    source, author = done.source, done.author
    if not source or not author or source[:1] not in ("C", "G"):
        return
    sid = f"D-{done.decision_id}"
    if done.status == SENT:
        if done.channel == source:
            return  # posted right there: they see it
        text = posted_text(sid, data.get("channel") or data.get("user"))
    elif done.status == PENDING:
        text = pending_text(sid, done.error)
    else:
        return  # given up: the DM queued by `delivered` says why and how to repost
    try:
        client.chat_postEphemeral(channel=source, user=author, **notice_message(text))
    except Exception as exc:  # the author left the channel, or Slack is away: the post is what matters
        log.info("could not tell %s about %s: %s", author, sid, type(exc).__name__)
