"""/tier: look up an account's tier; admins set and clear overrides. Thin: parse, call, render."""

from __future__ import annotations

import hashlib
import json
import logging
import re
from typing import Any

from slack_bolt import Ack, App, BoltContext, BoltRequest, Respond
from slack_sdk import WebClient

from bot.accounts import service
from bot.accounts.cards import AccountCard
from bot.accounts.lookup import Lookup
from bot.accounts.service import Verb
from bot.policy.model import Policy
from bot.services import Services
from bot.text import as_row_id
from bot.views import tier_card, tier_ids
from bot.views.blocks import section
from handlers._context import services_of
from handlers._guard import guarded
from storage.idempotency import claim, release

log = logging.getLogger(__name__)
_LOOKUP = Verb.LOOKUP  # read once: an enum member read costs ~100 ns
_SET_CHANNEL = Verb.SET_CHANNEL


def answer(services: Services, text: str, user_id: str) -> dict[str, Any]:
    """The message a /tier command produces, as Slack receives it (tests and benches)."""
    message: dict[str, Any] = json.loads(answer_body(services, text, user_id))
    return message


def answer_body(services: Services, text: str, user_id: str, delivery_key: str | None = None) -> str:
    """The /tier response as the JSON body Slack receives, `response_type` included.

    Lookups go through the service's one cache with `_rendered` as the rendering: a hit returns the
    body serialized when it was made, so it costs a dictionary lookup instead of a json.dumps of a
    ~2 KB card.
    """
    command = service.parse_command(text)
    if command.verb is _SET_CHANNEL:
        changed = service.change_channel(
            services.db, services.accounts, command, services.settings.is_admin(user_id)
        )
        return _body(tier_card.channel_message(changed))
    if command.verb is not _LOOKUP:
        outcome = service.change_override(
            services.db,
            services.accounts,
            services.policy,
            command,
            user_id,
            services.settings.is_admin(user_id),
            services.clock(),
            delivery_key,
        )
        return _body(tier_card.override_message(outcome))
    return service.answer(
        services.db,
        services.accounts,
        services.policy,
        command,
        services.clock(),
        services.settings.at_risk_share,
        _rendered,
    )


def _rendered(result: Lookup, policy: Policy) -> str:
    # Module-level on purpose: the service keys its cache by this function, so it must be one object.
    return _body(tier_card.lookup_message(result, policy))


def _body(message: dict[str, Any]) -> str:
    # ASCII escapes on purpose: a card always holds "≥" or "→", and one such character makes Python
    # store the whole cached string at 2 bytes a character (4 with an emoji in a name).
    return json.dumps({"response_type": "ephemeral", **message}, separators=(",", ":"))


def delivery_key(command: dict[str, Any], request: BoltRequest | None) -> str:
    """What identifies one delivery of a command, so that a replay (the same signed request sent again
    within Slack's five-minute window) is recognised: Slack's trigger_id, unique per invocation, or,
    without one, the user, the text and the signed timestamp header together."""
    trigger = command.get("trigger_id")
    if trigger:
        return f"tier-cmd:{trigger}"
    stamp = ""
    if request is not None:
        stamp = (request.headers.get("x-slack-request-timestamp") or [""])[0]
    digest = hashlib.sha256(f"{command.get('user_id', '')}\n{stamp}\n{command.get('text', '')}".encode())
    return f"tier-cmd:{digest.hexdigest()}"


@guarded
def tier_command(ack: Ack, command: dict[str, Any], context: BoltContext, request: BoltRequest) -> None:
    # Bolt sends a lone string body as it is, labelled JSON because it starts with "{": the cached
    # answer goes out without being parsed and serialized again on every request. Only an override
    # claims the delivery key (lookups write nothing); Slack always sends a trigger_id, so a lookup
    # pays one f-string for it, never the hash.
    ack(
        answer_body(
            services_of(context),
            command.get("text", ""),
            command.get("user_id", ""),
            delivery_key(command, request),
        )
    )


# Replies to buttons go through response_url after the ack, in lazy listeners: a slow Slack then
# holds a background thread, not the HTTP request Slack is waiting on.
def ack_only(ack: Ack) -> None:
    ack()


def _card(services: Services, account_id: int) -> AccountCard | None:
    return service.card(
        services.db,
        services.accounts,
        services.policy,
        account_id,
        services.clock(),
        services.settings.at_risk_share,
    )


@guarded
def pick(action: dict[str, Any], respond: Respond, context: BoltContext) -> None:
    services = services_of(context)
    account_id = as_row_id(action.get("value"))
    card = _card(services, account_id) if account_id is not None else None
    if card is None:
        respond(replace_original=True, **tier_card.notice_message("That account no longer exists."))
        return
    respond(replace_original=True, **tier_card.card_message(card, services.policy))


@guarded
def share(
    body: dict[str, Any], action: dict[str, Any], respond: Respond, client: WebClient, context: BoltContext
) -> None:
    services = services_of(context)
    user = body.get("user", {}).get("id", "")
    channel = (body.get("channel") or {}).get("id", "")
    container = body.get("container") or {}
    account_id = as_row_id(action.get("value"))
    if account_id is None:  # no account could have this id: nothing to share, nothing to claim
        respond(replace_original=False, **tier_card.notice_message("That account no longer exists."))
        return
    # One share per card: a double click or a retried delivery must not post twice.
    key = f"share:{channel}:{container.get('message_ts', '')}:{account_id}"
    if not claim(services.db, key):
        return
    try:
        card = _card(services, account_id)
        if card is None:
            respond(replace_original=False, **tier_card.notice_message("That account no longer exists."))
            return
        result = respond(
            response_type="in_channel",
            replace_original=False,
            **tier_card.card_message(card, services.policy, shared_by=user),
        )
    except BaseException:
        release(services.db, key)  # nothing was posted: pressing Share again must work
        raise
    if result.status_code >= 400:
        # Slack did not take it: give the claim back so pressing Share again works, and say so.
        release(services.db, key)
        client.chat_postEphemeral(
            channel=channel,
            user=user,
            text=tier_card.SHARE_FAILED,
            blocks=[section(tier_card.SHARE_FAILED)],
        )


def register(app: App) -> None:
    app.command("/tier")(tier_command)
    app.action({"action_id": re.compile(tier_ids.PICK_PATTERN)})(ack=ack_only, lazy=[pick])
    app.action(tier_ids.SHARE)(ack=ack_only, lazy=[share])
