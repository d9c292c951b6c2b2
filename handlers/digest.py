"""/digest subscriptions, and Acknowledge / Snooze on breached top-tier tickets. Thin: parse, call, render.

Two Web API calls. Whether the *user* is in the channel (`conversations.members`) decides whether the
command may change or list it, so it is asked before the ack, within a budget that keeps the answer
inside Slack's 3 s (`bot.slack_members`; cached a minute per channel; asked only of non-admins, and only
once the command parsed). Whether the *bot* is in it (`conversations.info`) only warrants a warning, so
it runs in a lazy listener after the ack; the subscriber hears about it through the response_url.
"""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.digest import service as digest
from bot.reports import service as reports
from bot.services import Services
from bot.slack_members import MembersHidden, MembersUnavailable, deadline
from bot.text import clean_input
from bot.views import digest as digest_view
from bot.views import digest_ids, digest_subs
from bot.views import report as report_view
from bot.views.format import escape_mrkdwn, user_mention
from handlers._context import services_of
from handlers._guard import guarded

log = logging.getLogger(__name__)


def membership(
    services: Services, client: WebClient, user: str, until: float, channel: str
) -> digest.Membership:
    """The digest's `MemberCheck`: is `user` in `channel`, by `until` (a monotonic deadline)."""
    try:
        found = services.channel_members.is_member(client, channel, user, services.clock(), until)
    except MembersHidden as exc:
        log.info("members of %s are hidden from the bot: %s", channel, exc.error)
        return digest.Membership.HIDDEN
    except MembersUnavailable as exc:
        log.warning("could not check membership of %s: %s", channel, exc)
        return digest.Membership.UNKNOWN
    return digest.Membership.MEMBER if found else digest.Membership.NOT_MEMBER


def answer(services: Services, client: WebClient, text: str, user_id: str, channel_id: str) -> dict[str, Any]:
    """The ephemeral answer to a /digest command."""
    tokens = clean_input(text, 500).split()
    verb = tokens[0].casefold() if tokens else "help"
    try:
        return _answer(services, client, verb, tokens[1:], user_id, channel_id)
    except digest.CadenceError as exc:  # a stored zone that tzdata no longer knows, while listing
        return digest_subs.refused_message(exc.refusal)


def _answer(
    services: Services, client: WebClient, verb: str, rest: list[str], user_id: str, channel_id: str
) -> dict[str, Any]:
    now = services.clock()
    admin = services.settings.is_admin(user_id)
    member_of = partial(membership, services, client, user_id, deadline())
    if verb in ("subscribe", "unsubscribe", "stop") and reports.is_weekly_report(rest):
        return _weekly_report(services, verb, rest, user_id, channel_id, admin, member_of)
    if verb == "subscribe":
        subscribed = digest.subscribe(
            services.db,
            services.policy,
            services.settings.default_timezone,
            rest,
            channel_id,
            user_id,
            now,
            admin=admin,
            member_of=member_of,
        )
        if isinstance(subscribed, digest.CadenceRefusal):
            return digest_subs.refused_message(subscribed)
        if isinstance(subscribed, digest.Refused):
            return digest_subs.access_refused_message(subscribed)
        return digest_subs.subscribed_message(subscribed)
    if verb in ("unsubscribe", "stop"):
        unsubscribed = digest.unsubscribe(services.db, rest, channel_id, admin=admin, member_of=member_of)
        if isinstance(unsubscribed, digest.CadenceRefusal):
            return digest_subs.refused_message(unsubscribed)
        if isinstance(unsubscribed, digest.Refused):
            return digest_subs.access_refused_message(unsubscribed)
        return digest_subs.unsubscribed_message(unsubscribed)
    if verb == "list":
        listed = digest.list_visible(services.db, services.policy, now, admin=admin, member_of=member_of)
        if isinstance(listed, digest.Refused):
            return digest_subs.list_refused_message(listed)
        return digest_subs.list_message(listed, everyone=admin)
    return digest_subs.help_message()


def _weekly_report(
    services: Services,
    verb: str,
    rest: list[str],
    user_id: str,
    channel_id: str,
    admin: bool,
    member_of: digest.MemberCheck,
) -> dict[str, Any]:
    """`/digest subscribe [#ch] weekly-report mon 09:00` and `/digest unsubscribe [#ch] weekly-report`,
    under the digest's access rule (members of the channel, or admins)."""
    if verb == "subscribe":
        done: reports.ReportSubscribed | reports.ReportUnsubscribed | reports.CadenceRefusal | digest.Refused
        done = reports.subscribe_weekly(
            services.db, rest, channel_id, user_id, services.clock(), services.settings.default_timezone,
            admin=admin, member_of=member_of,
        )  # fmt: skip
    else:
        done = reports.unsubscribe_weekly(services.db, rest, channel_id, admin=admin, member_of=member_of)
    if isinstance(done, reports.CadenceRefusal):
        return digest_subs.refused_message(done)
    if isinstance(done, digest.Refused):
        return digest_subs.access_refused_message(done)
    if isinstance(done, reports.ReportSubscribed):
        return report_view.weekly_subscribed_message(done)
    return report_view.weekly_unsubscribed_message(done)


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


@guarded
def digest_ack(ack: Ack, command: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    services = services_of(context)
    ack(
        response_type="ephemeral",
        **answer(
            services,
            client,
            command.get("text", ""),
            command.get("user_id", ""),
            command.get("channel_id", ""),
        ),
    )


def bot_membership(
    command: dict[str, Any], client: WebClient, respond: Respond, context: BoltContext
) -> None:
    """Lazy: after a subscription, warn when the bot may not be able to post to the channel."""
    tokens = clean_input(command.get("text", ""), 500).split()
    if not tokens or tokens[0].casefold() != "subscribe":
        return
    sub = digest.subscribed_by_command(services_of(context).db, tokens[1:], command.get("channel_id", ""))
    if sub is None or sub.created_by != command.get("user_id"):
        return  # the subscription was refused (someone else's may stand); the ack said why
    warning = check_membership(client, sub.channel)
    if warning is not None:
        respond(response_type="ephemeral", replace_original=False, **warning)


def _update(
    services: Services,
    body: dict[str, Any],
    respond: Respond,
    ticket_id: str,
    state: digest.AckState,
    fallback: str,
) -> None:
    channel = (body.get("channel") or {}).get("id")
    tz = digest.channel_zone(services.db, channel, services.settings.default_timezone)
    status = digest_view.ack_status_block(ticket_id, state, services.clock(), tz)
    message = body.get("message") or {}
    blocks = message.get("blocks")
    if status is not None and blocks:
        new_blocks, found = digest_view.replace_breach_status(blocks, ticket_id, status)
        if found:
            respond(replace_original=True, text=message.get("text") or fallback, blocks=new_blocks)
            return
    respond(replace_original=False, response_type="ephemeral", **digest_subs.notice(fallback))


def _refused(respond: Respond, refused: digest.Refused) -> None:
    # Ephemeral, and the digest is left as it is: the buttons stay for those they are meant for.
    respond(replace_original=False, response_type="ephemeral", **digest_subs.access_refused_message(refused))


@guarded
def acknowledge(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond, context: BoltContext
) -> None:
    ack()
    ticket_id = str(action.get("value") or "")[:64]
    user = body.get("user", {}).get("id", "")
    if not ticket_id:
        return
    services = services_of(context)
    channel = (body.get("channel") or {}).get("id")
    state = digest.acknowledge(services.db, channel, ticket_id, user, services.clock())
    if isinstance(state, digest.Refused):
        _refused(respond, state)
        return
    who = user_mention(state.acked_by) if state.acked_by else "someone"
    _update(services, body, respond, ticket_id, state, f"`{escape_mrkdwn(ticket_id)}` acknowledged by {who}.")


@guarded
def snooze(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond, context: BoltContext
) -> None:
    ack()
    value = str((action.get("selected_option") or {}).get("value") or action.get("value") or "")
    ticket_id, _, choice = value.rpartition("|")
    if not ticket_id or choice not in digest_ids.SNOOZE_CHOICES:
        return
    services = services_of(context)
    channel = (body.get("channel") or {}).get("id")
    tz = digest.channel_zone(services.db, channel, services.settings.default_timezone)
    user = body.get("user", {}).get("id", "")
    state = digest.snooze(services.db, channel, ticket_id[:64], user, choice, services.clock(), tz)
    if isinstance(state, digest.Refused):
        _refused(respond, state)
        return
    if state.acked_by:
        text = f"`{escape_mrkdwn(ticket_id)}` was already acknowledged by {user_mention(state.acked_by)}."
    else:
        text = f"`{escape_mrkdwn(ticket_id)}` snoozed."
    _update(services, body, respond, ticket_id, state, text)


def register(app: App) -> None:
    app.command("/digest")(ack=digest_ack, lazy=[bot_membership])
    app.action(digest_ids.ACK)(acknowledge)
    app.action(digest_ids.SNOOZE)(snooze)
