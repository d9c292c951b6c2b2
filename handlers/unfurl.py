"""Link unfurls: a pasted helpdesk ticket or organization, or a CRM company or account of a configured
source, gets the account's tier, owner and open breaches, and a ticket its SLA clocks
(`link_shared` -> `chat.unfurl`). Thin: parse, call, render, one Slack call.

The event is acked at once and the unfurl comes from a lazy listener: reading is a few milliseconds,
but `chat.unfurl` may take up to the request client's 3 s timeout, all of Slack's bound for an event
answer. A retried delivery (X-Slack-Retry-Num, same event_id) is answered 200 by `bot.main`'s
middleware, which claims each event id once, so a link is unfurled once. A `chat.unfurl` that fails
(429, 5xx, a timeout) is logged and dropped: Slack shows the link without tierbot's context, and there
is no person waiting on an answer to tell.

Nothing is unfurled in a conversation shared with another organization (Slack Connect): pasting a
ticket link in the channel shared with that customer would show them its tier, owner and breaches.
Before resolving, the lazy listener asks `conversations.info` (`bot.slack_channels`, kept 10 minutes
per channel); when Slack does not answer (no access, 429, a timeout) the link is left alone with one
log line. A link still in the composer comes with channel "COMPOSER": where the message will go is not
known, so it is not unfurled there; the posted message gets its own `link_shared`, with its channel.
"""

from __future__ import annotations

import logging
from typing import Any
from zoneinfo import ZoneInfo

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.slack_channels import SharingUnknown
from bot.sync import service as sync
from bot.views import unfurl as unfurl_view
from handlers._context import services_of
from handlers._guard import guarded

log = logging.getLogger(__name__)
SOURCES = frozenset({"composer", "conversations_history"})
COMPOSER = "COMPOSER"  # the "channel" of a link still in the message composer


def ack_only(ack: Ack) -> None:
    ack()


def _target(event: dict[str, Any]) -> dict[str, str] | None:
    """Where the unfurl goes: the `unfurl_id` and `source` Slack sent (the only way for a link still in
    the composer, whose message has no ts yet), else the message's channel and ts."""
    unfurl_id, source = event.get("unfurl_id"), event.get("source")
    if isinstance(unfurl_id, str) and unfurl_id and source in SOURCES:
        return {"unfurl_id": unfurl_id, "source": str(source)}
    channel, ts = event.get("channel"), event.get("message_ts")
    if isinstance(channel, str) and channel and isinstance(ts, str) and ts:
        return {"channel": channel, "ts": ts}
    return None


@guarded
def unfurl(event: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    """Lazy: resolve the links, then one chat.unfurl for all of them (none when nothing is known)."""
    links = event.get("links")
    target = _target(event)
    if not isinstance(links, list) or target is None:
        return
    urls = [link.get("url") for link in links if isinstance(link, dict)]
    services = services_of(context)
    settings = services.settings
    channel = event.get("channel")
    if not isinstance(channel, str) or not channel or channel == COMPOSER:
        return  # no channel to check: it could be one shared with the customer
    with services.db.session() as session:
        found = sync.resolve_links(
            session,
            services.policy,
            services.clock(),
            sync.link_sources(settings),
            urls,
            at_risk_share=settings.at_risk_share,
        )
    if not found:
        return  # asked nothing of Slack: most links are not tierbot's records
    try:
        if services.channel_sharing.is_external(client, channel, services.clock()):
            return
    except SharingUnknown as exc:
        log.warning("conversations.info failed for %s: %s; link not unfurled", channel, exc.reason)
        return
    payload = unfurl_view.unfurls(found, ZoneInfo(settings.default_timezone))
    try:
        client.chat_unfurl(
            unfurls=payload,
            channel=target.get("channel"),
            ts=target.get("ts"),
            unfurl_id=target.get("unfurl_id"),
            source=target.get("source"),
        )
    except SlackApiError as exc:
        # Slack's error code and status only: the payload holds account names.
        log.warning(
            "chat.unfurl failed: %s (HTTP %s, %d links)",
            exc.response.get("error"),
            exc.response.status_code,
            len(payload),
        )
    except (SlackClientError, OSError) as exc:  # a timeout or a refused connection
        log.warning("chat.unfurl failed: %s (%d links)", type(exc).__name__, len(payload))


def register(app: App) -> None:
    app.event("link_shared")(ack=ack_only, lazy=[unfurl])
