"""/digest subscriptions, and Acknowledge / Snooze on breached top-tier tickets. Thin: parse, call, render.

The membership check (`conversations.info`) is a Web API call, so it runs in a lazy listener after
the command is acked; the person who subscribed hears about a problem through the response_url.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.schedule import acks, subscriptions
from bot.schedule.periods import CadenceError, next_occurrence, zone
from bot.services import Services
from bot.text import clean_input, escape_mrkdwn
from bot.views import digest as digest_view
from bot.views import digest_ids, digest_subs
from bot.views.format import local_time
from handlers._guard import guarded

log = logging.getLogger(__name__)


def _channel_arg(tokens: list[str], default: str) -> str:
    for token in tokens:
        if (found := subscriptions.channel_of(token)) is not None:
            return found
    return default


def _when(sub_tz: str, at: Any) -> str:
    return local_time(at, zone(sub_tz)) if at is not None else "—"


def answer(services: Services, text: str, user_id: str, channel_id: str) -> dict[str, Any]:
    """The ephemeral answer to a /digest command; shared by Slack and tests."""
    tokens = clean_input(text, 500).split()
    verb = tokens[0].casefold() if tokens else "help"
    rest = tokens[1:]
    business = services.policy.calendars.get("business")
    now = services.clock()
    try:
        if verb == "subscribe":
            request = subscriptions.parse_subscribe(rest, services.policy, services.settings.default_timezone)
            channel = request.channel or channel_id
            sub, replaced = subscriptions.subscribe(services.db, channel, request, user_id, now)
            nxt = next_occurrence(request.cadence, now, business)
            when = _when(request.cadence.tz, nxt.at if nxt else None)
            return digest_subs.subscribed_message(channel, subscriptions.describe(sub), nxt, when, replaced)
        if verb in ("unsubscribe", "stop"):
            channel = _channel_arg(rest, channel_id)
            if subscriptions.unsubscribe(services.db, channel):
                return digest_subs.notice(f"<#{channel}> will get no more SLA digests.")
            return digest_subs.notice(f"<#{channel}> is not subscribed to the SLA digest; nothing changed.")
        if verb == "list":
            lines = []
            for sub in subscriptions.active(services.db):
                nxt = next_occurrence(subscriptions.cadence_of(sub), now, business)
                lines.append(
                    f"<#{sub.channel}> · {escape_mrkdwn(subscriptions.describe(sub))} · by <@{sub.created_by}>"
                    f" · next {_when(sub.tz, nxt.at if nxt else None)}"
                )
            return digest_subs.list_message(lines)
    except CadenceError as exc:
        return digest_subs.notice(f"{exc} Nothing was changed.")
    return digest_subs.help_message()


def check_membership(client: WebClient, channel: str) -> dict[str, Any] | None:
    """A warning message when the bot cannot post to `channel`, else None."""
    try:
        info = client.conversations_info(channel=channel)
    except SlackApiError as exc:
        error = str(exc.response.get("error") or "unknown_error")
        return digest_subs.not_member_message(channel, error)
    data = info.get("channel") or {}
    if data.get("is_im") or data.get("is_member", True):
        return None
    return digest_subs.not_member_message(channel, public=data.get("is_private") is False)


def register(app: App, services: Services) -> None:
    @guarded
    def digest_ack(ack: Ack, command: dict[str, Any]) -> None:
        ack(
            response_type="ephemeral",
            **answer(
                services, command.get("text", ""), command.get("user_id", ""), command.get("channel_id", "")
            ),
        )

    def membership(command: dict[str, Any], client: WebClient, respond: Respond) -> None:
        tokens = clean_input(command.get("text", ""), 500).split()
        if not tokens or tokens[0].casefold() != "subscribe":
            return
        try:
            channel = _channel_arg(tokens[1:], command.get("channel_id", ""))
        except CadenceError:
            return  # already answered
        if subscriptions.by_channel(services.db, channel) is None:
            return  # the subscription was refused; the ack said why
        warning = check_membership(client, channel)
        if warning is not None:
            respond(response_type="ephemeral", replace_original=False, **warning)

    app.command("/digest")(ack=digest_ack, lazy=[membership])

    def _tz_for(channel: str | None) -> Any:
        sub = subscriptions.by_channel(services.db, channel) if channel else None
        return zone(sub.tz if sub else services.settings.default_timezone)

    def _update(
        body: dict[str, Any], respond: Respond, ticket_id: str, state: acks.AckState, fallback: str
    ) -> None:
        channel = (body.get("channel") or {}).get("id")
        tz = _tz_for(channel)
        status = digest_view.ack_status_block(ticket_id, state, services.clock(), tz)
        message = body.get("message") or {}
        blocks = message.get("blocks")
        if status is not None and blocks:
            new_blocks, found = digest_view.replace_breach_status(blocks, ticket_id, status)
            if found:
                respond(replace_original=True, text=message.get("text") or fallback, blocks=new_blocks)
                return
        respond(replace_original=False, response_type="ephemeral", **digest_subs.notice(fallback))

    @app.action(digest_ids.ACK)
    @guarded
    def acknowledge(ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        ack()
        ticket_id = str(action.get("value") or "")[:64]
        user = body.get("user", {}).get("id", "")
        if not ticket_id:
            return
        state = acks.acknowledge(services.db, ticket_id, user, services.clock())
        who = f"<@{state.acked_by}>" if state.acked_by else "someone"
        _update(body, respond, ticket_id, state, f"`{escape_mrkdwn(ticket_id)}` acknowledged by {who}.")

    @app.action(digest_ids.SNOOZE)
    @guarded
    def snooze(ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        ack()
        value = str((action.get("selected_option") or {}).get("value") or action.get("value") or "")
        ticket_id, _, choice = value.rpartition("|")
        if not ticket_id or choice not in digest_ids.SNOOZE_CHOICES:
            return
        channel = (body.get("channel") or {}).get("id")
        now = services.clock()
        until = acks.snooze_until(choice, now, _tz_for(channel))
        state = acks.snooze(services.db, ticket_id[:64], body.get("user", {}).get("id", ""), until, now)
        if state.acked_by:
            text = f"`{escape_mrkdwn(ticket_id)}` was already acknowledged by <@{state.acked_by}>."
        else:
            text = f"`{escape_mrkdwn(ticket_id)}` snoozed."
        _update(body, respond, ticket_id, state, text)
