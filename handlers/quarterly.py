"""Quarterly reviews in Slack: `/tier reviews` (overdue reviews), *Mark held* on a reminder and its
modal. Thin: parse, call, render.

`/tier reviews` reaches this module under its own command name (`handlers._subcommands` renames it
before listener matching), so the general /tier listener never sees it.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot.quarterly import service as quarterly
from bot.text import storable
from bot.views import quarterly as quarterly_view
from bot.views import quarterly_ids as ids
from bot.views.notice import notice_view
from handlers._context import services_of
from handlers._guard import guarded
from handlers._subcommands import TIER_REVIEWS


@guarded
def tier_reviews(ack: Ack, context: BoltContext) -> None:
    services = services_of(context)
    now = services.clock()
    with services.db.session() as session:
        listed, total = quarterly.overdue(session, services.policy, now, limit=quarterly_view.LISTED)
    ack(response_type="ephemeral", **quarterly_view.overdue_message(listed, total, now))


@guarded
def open_mark_held(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    ack()
    try:
        account_id = int(str(action.get("value") or ""))
    except ValueError:
        return
    services = services_of(context)
    with services.db.session() as session:
        review = quarterly.review_of(session, services.policy, account_id)
    name = review.account if review is not None else f"account {account_id}"
    client.views_open(trigger_id=body["trigger_id"], view=quarterly_view.held_modal(account_id, name))


@guarded
def submit_held(ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext) -> None:
    try:
        account_id = int(view.get("private_metadata") or "")
    except ValueError:
        ack()
        return
    values = (view.get("state") or {}).get("values") or {}
    # Kept as typed (line breaks too) less what a text column refuses; it is escaped when shown.
    note = storable(
        str((values.get(ids.NOTE_BLOCK) or {}).get(ids.NOTE_INPUT, {}).get("value") or "")
    ).strip()[:3000]
    user = (body.get("user") or {}).get("id", "")
    services = services_of(context)
    with services.db.session() as session:
        result = quarterly.mark_held(session, services.policy, account_id, user, note, services.clock())
    ack(
        response_action="update", view=notice_view(quarterly_view.held_text(result), title="Quarterly review")
    )


def register(app: App) -> None:
    app.command(TIER_REVIEWS)(tier_reviews)  # `/tier reviews`, routed by handlers._subcommands
    app.action(ids.MARK_HELD)(open_mark_held)
    app.view(ids.HELD_MODAL)(submit_held)
