"""/tier: look up an account's tier; admins set and clear overrides. Thin: parse, call, render."""

from __future__ import annotations

import json
import logging
import re
from datetime import datetime
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.accounts.lookup import Outcome, account_card, card_valid_until, lookup
from bot.accounts.matching import MatchKind
from bot.accounts.overrides import OverrideError, clear_override, parse_set, set_override
from bot.services import Services
from bot.text import clean_input, escape_mrkdwn
from bot.views import tier_card, tier_ids
from bot.views.blocks import section
from handlers._guard import guarded
from storage.idempotency import claim, release

log = logging.getLogger(__name__)

ADMIN_ONLY = "Only tierbot admins (ADMIN_USER_IDS) can set or clear tier overrides. Nothing was changed."


def _resolve_one(services: Services, name: str) -> int:
    match = services.account_index().match(name)
    if match.account_id is not None:
        return match.account_id
    if match.kind is MatchKind.AMBIGUOUS:
        names = ", ".join(escape_mrkdwn(c.name) for c in match.candidates[:5])
        raise OverrideError(f"`{escape_mrkdwn(name)}` could be {names}. Use the account's id or full name.")
    raise OverrideError(f"No account matches `{escape_mrkdwn(name)}`.")


def answer(services: Services, text: str, user_id: str) -> dict[str, Any]:
    """The message a /tier command produces; shared by Slack, the console and tests."""
    message: dict[str, Any] = json.loads(answer_body(services, text, user_id))
    return message


def answer_body(services: Services, text: str, user_id: str) -> str:
    """The /tier response as the JSON body Slack receives, `response_type` included.

    Agents look up the same hot accounts over and over: the same question, with no data changed
    anywhere and the card's clock-driven parts still current, has the same answer, so it is kept
    serialized. A cache hit then costs a dictionary lookup instead of a json.dumps of a ~2 KB card.
    """
    command = clean_input(text, 1000)
    verb = command.split(" ", 1)[0].casefold() if command else ""
    if verb in ("set", "clear"):
        return _body(_change_override(services, command, verb, user_id))
    now = services.clock()
    services.account_index()  # may start a rebuild: the key below names the index the answer comes from
    key = ("answer", command.casefold(), services.index_version)
    return services.cached(key, now, lambda: _serialized(_lookup_message(services, command, now)))


def _body(message: dict[str, Any]) -> str:
    # ASCII escapes on purpose: a card always holds "≥" or "→", and one such character makes Python
    # store the whole cached string at 2 bytes a character (4 with an emoji in a name).
    return json.dumps({"response_type": "ephemeral", **message}, separators=(",", ":"))


def _serialized(made: tuple[dict[str, Any], datetime | None]) -> tuple[str, datetime | None]:
    message, until = made
    return _body(message), until


def _change_override(services: Services, command: str, verb: str, user_id: str) -> dict[str, Any]:
    if not services.settings.is_admin(user_id):
        return tier_card.notice_message(ADMIN_ONLY)
    try:
        if verb == "set":
            req = parse_set(command)
            account_id = _resolve_one(services, req.account)
            name, tier = set_override(
                services.db,
                services.policy,
                account_id,
                req.tier,
                req.reason,
                user_id,
                services.clock(),
                req.until,
            )
            services.invalidate()
            return tier_card.notice_message(f"{escape_mrkdwn(name)} is now *{tier}* (override).")
        target = command.split(" ", 1)[1] if " " in command else ""
        if not target:
            raise OverrideError("Write it as `clear ACCOUNT`.")
        name, tier = clear_override(
            services.db,
            services.policy,
            _resolve_one(services, target),
            user_id,
            services.clock(),
        )
        services.invalidate()
        return tier_card.notice_message(f"Override cleared: {escape_mrkdwn(name)} is *{tier}* by the rules.")
    except OverrideError as exc:
        return tier_card.notice_message(str(exc))


def _lookup_message(
    services: Services, command: str, now: datetime
) -> tuple[dict[str, Any], datetime | None]:
    result = lookup(services, command, now)
    if result.outcome is Outcome.HELP:
        return tier_card.help_message(), None
    if result.outcome is Outcome.FOUND and result.card is not None:
        return tier_card.card_message(result.card, services.policy), card_valid_until(result.card, now)
    if result.outcome is Outcome.CHOOSE:
        return tier_card.choices_message(result.query, result.candidates), None
    return tier_card.not_found_message(result.query, result.candidates), None


def register(app: App, services: Services) -> None:
    @app.command("/tier")
    @guarded
    def tier_command(ack: Ack, command: dict[str, Any]) -> None:
        # Bolt sends a lone string body as it is, labelled JSON because it starts with "{": the
        # cached answer goes out without being parsed and serialized again on every request.
        ack(answer_body(services, command.get("text", ""), command.get("user_id", "")))

    # Replies to buttons go through response_url after the ack, in lazy listeners: a slow Slack then
    # holds a background thread, not the HTTP request Slack is waiting on.
    def ack_only(ack: Ack) -> None:
        ack()

    def pick(action: dict[str, Any], respond: Respond) -> None:
        card = account_card(services, int(action["value"]))
        if card is None:
            respond(replace_original=True, **tier_card.notice_message("That account no longer exists."))
            return
        respond(replace_original=True, **tier_card.card_message(card, services.policy))

    def share(body: dict[str, Any], action: dict[str, Any], respond: Respond, client: WebClient) -> None:
        user = body.get("user", {}).get("id", "")
        channel = (body.get("channel") or {}).get("id", "")
        container = body.get("container") or {}
        # One share per card: a double click or a retried delivery must not post twice.
        key = f"share:{channel}:{container.get('message_ts', '')}:{action['value']}"
        if not claim(services.db, key):
            return
        try:
            card = account_card(services, int(action["value"]))
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

    app.action({"action_id": re.compile(tier_ids.PICK_PATTERN)})(ack=ack_only, lazy=[guarded(pick)])
    app.action(tier_ids.SHARE)(ack=ack_only, lazy=[guarded(share)])
