"""Listeners for what can be done to a posted decision record: View, Start review, Mark reviewed,
Reverse, Supersede, Edit, and "Log a decision" (App Home, the /tier card). Who may do what and in which
state is decided by `bot.decisions.service`; this parses, calls and renders."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.decisions import service
from bot.decisions.results import Changed, Refused
from bot.scenarios.service import recheck
from bot.text import as_row_id
from bot.views import decision_ids as ids
from bot.views import scenario as scenario_view
from bot.views.decision_dialogs import read_metadata, reverse_modal, review_modal, view_modal
from bot.views.decision_record import refusal_text
from bot.views.decision_state import reverse_state, review_state
from handlers._context import services_of
from handlers._decisions import deliver_now, not_opened, open_frame, tell, today, user_of
from handlers._guard import guarded

# Where an ack listener leaves the record it changed for its lazy listener to update the posted message:
# only a submission that changed the record finds it (not a refused one, not a double click).
CHANGED = "decision_changed"
# Where Start review leaves the review (form, modal id, channel, ts) for the lazy re-run of its scenarios.
REVIEWING = "decision_reviewing"

log = logging.getLogger(__name__)


def _decision_id(action: dict[str, Any]) -> int | None:
    raw = action.get("value") or (action.get("selected_option") or {}).get("value") or ""
    head = raw.split(":", 1)[0]
    return as_row_id(head)


def _where(body: dict[str, Any]) -> tuple[str | None, str | None]:
    container = body.get("container") or {}
    return container.get("channel_id"), container.get("message_ts")


def _once_key(kind: str, view: dict[str, Any], decision_id: int) -> str:
    """A modal submission's idempotency key: the same view submitted twice changes the record once."""
    return f"decision-{kind}:{view.get('id', '')}:{decision_id}"


def view_record(
    ack: Ack,
    body: dict[str, Any],
    action: dict[str, Any],
    client: WebClient,
    respond: Respond,
    context: BoltContext,
) -> None:
    ack()
    services = services_of(context)
    decision_id = _decision_id(action)
    found = (
        service.view_record(services.db, services.settings.admin_user_ids, decision_id, user_of(body))
        if decision_id
        else None
    )
    if found is None:
        tell(body, respond, client, "That decision no longer exists.")
        return
    client.views_open(
        trigger_id=body["trigger_id"],
        view=view_modal(found.record, services.policy, today(services), can_change=found.can_change),
    )


def start_review(
    ack: Ack,
    body: dict[str, Any],
    action: dict[str, Any],
    client: WebClient,
    respond: Respond,
    context: BoltContext,
) -> None:
    ack()
    services = services_of(context)
    form = service.start_review(
        services.db,
        services.settings.admin_user_ids,
        _decision_id(action) or 0,
        user_of(body),
        today(services),
    )
    if isinstance(form, Refused):
        tell(body, respond, client, refusal_text(form))
        return
    channel, ts = _where(body)
    commands = [s.command for s in form.record.scenarios]
    # The attached scenarios are re-run by the lazy listener (seconds on big data); the modal says so now.
    opened = client.views_open(
        trigger_id=body["trigger_id"],
        view=review_modal(
            form.record,
            services.policy,
            form.next_review,
            channel=channel,
            ts=ts,
            scenarios=scenario_view.review_scenario_blocks(commands, None),
        ),
    )
    shown = opened.get("view") or {}
    if commands and shown.get("id"):
        context[REVIEWING] = (form, shown["id"], shown.get("hash"), channel, ts)


def rerun_scenarios(context: BoltContext, client: WebClient) -> None:
    """Lazy, after Start review: re-run each attached scenario on current data, and show what moved
    since in the open review modal. The orchestration lives here, in the adapter: bot.decisions and
    bot.scenarios are siblings in one layer and never import each other."""
    reviewing = context.get(REVIEWING)
    if not isinstance(reviewing, tuple):
        return
    form, view_id, view_hash, channel, ts = reviewing
    services = services_of(context)
    now = services.clock()
    with services.db.engine.connect() as conn:
        rechecks = [
            recheck(conn, services.policy, now, s.kind, s.command, s.figures, s.as_of)
            for s in form.record.scenarios
        ]
    commands = [s.command for s in form.record.scenarios]
    view = review_modal(
        form.record,
        services.policy,
        form.next_review,
        channel=channel,
        ts=ts,
        scenarios=scenario_view.review_scenario_blocks(commands, rechecks),
    )
    try:
        # Same input blocks, block and action ids as the modal opened: Slack keeps what was typed in them
        # (views.update, "Preserving input entry"). The hash refuses to overwrite a view changed since.
        client.views_update(view_id=view_id, hash=view_hash, view=view)
    except SlackApiError as exc:
        # Submitted or closed meanwhile: nobody is left to show it to.
        log.info("review modal %s not updated with the re-run scenarios: %s", view_id, exc)


def _pressed_on(body: dict[str, Any], action: dict[str, Any]) -> str:
    """What one review is keyed by: the message (or modal) the menu was on. A double click is two
    deliveries with different action_ts on the same message, and must record one review; the next
    cycle's reminder is a new message, so its review is not mistaken for a repeat."""
    container = body.get("container") or {}
    where = container.get("message_ts") or container.get("view_id") or (body.get("view") or {}).get("id")
    return str(where or action.get("action_ts", ""))


def mark_reviewed(
    ack: Ack,
    body: dict[str, Any],
    action: dict[str, Any],
    client: WebClient,
    respond: Respond,
    context: BoltContext,
) -> None:
    ack()
    services = services_of(context)
    value = (action.get("selected_option") or {}).get("value", "")
    raw_id, _, outcome = value.partition(":")
    decision_id = as_row_id(raw_id)
    if decision_id is None:
        return
    result = service.review(
        services.db,
        services.settings.admin_user_ids,
        decision_id,
        actor=user_of(body),
        outcome=outcome,
        now=services.clock(),
        today=today(services),
        once=f"decision-mark:{value}:{_pressed_on(body, action)}",
    )
    if isinstance(result, Changed):
        context[CHANGED] = result
    elif isinstance(result, Refused):
        tell(body, respond, client, refusal_text(result))


def refresh_changed(context: BoltContext, client: WebClient) -> None:
    """Lazy, after a change: bring the record's posted message up to date."""
    changed = context.get(CHANGED)
    if isinstance(changed, Changed):
        deliver_now(services_of(context), client, changed.deliveries)


def review_submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext) -> None:
    services = services_of(context)
    decision_id, _, _ = read_metadata(view)
    if decision_id is None:
        ack(response_action="clear")
        return
    answers = review_state(view["state"]["values"])
    result = service.review(
        services.db,
        services.settings.admin_user_ids,
        decision_id,
        actor=user_of(body),
        outcome=answers.outcome,
        now=services.clock(),
        today=today(services),
        once=_once_key("review", view, decision_id),
        note=answers.note,
        next_review=answers.next_review,
    )
    if isinstance(result, Refused):
        block = ids.NEXT_REVIEW if result.field == "next_review" else ids.OUTCOME
        ack(response_action="errors", errors={block: refusal_text(result)})
        return
    if isinstance(result, Changed):
        context[CHANGED] = result
    ack(response_action="clear")


def reverse_clicked(
    ack: Ack,
    body: dict[str, Any],
    action: dict[str, Any],
    client: WebClient,
    respond: Respond,
    context: BoltContext,
) -> None:
    ack()
    services = services_of(context)
    record = service.start_reverse(
        services.db, services.settings.admin_user_ids, _decision_id(action) or 0, user_of(body)
    )
    if isinstance(record, Refused):
        tell(body, respond, client, refusal_text(record))
        return
    channel, ts = _where(body)
    client.views_open(trigger_id=body["trigger_id"], view=reverse_modal(record, channel=channel, ts=ts))


def reverse_submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext) -> None:
    services = services_of(context)
    decision_id, _, _ = read_metadata(view)
    if decision_id is None:
        ack(response_action="clear")
        return
    result = service.reverse(
        services.db,
        services.settings.admin_user_ids,
        decision_id,
        actor=user_of(body),
        reason=reverse_state(view["state"]["values"]),
        now=services.clock(),
        once=_once_key("reverse", view, decision_id),
    )
    if isinstance(result, Refused):
        ack(response_action="errors", errors={ids.REASON: refusal_text(result)})
        return
    if isinstance(result, Changed):
        context[CHANGED] = result
    ack(response_action="clear")


def supersede_clicked(
    ack: Ack,
    body: dict[str, Any],
    action: dict[str, Any],
    client: WebClient,
    respond: Respond,
    context: BoltContext,
) -> None:
    ack()
    services = services_of(context)
    user = user_of(body)
    channel = (body.get("channel") or {}).get("id")
    opened = service.start_supersede(
        services.db,
        services.settings.admin_user_ids,
        _decision_id(action) or 0,
        user,
        channel,
        services.clock(),
    )
    if isinstance(opened, Refused):
        tell(body, respond, client, refusal_text(opened))
        return
    failed = open_frame(services, client, body, opened, user)
    if failed is not None:
        not_opened(body, respond, failed)


def edit_clicked(
    ack: Ack,
    body: dict[str, Any],
    action: dict[str, Any],
    client: WebClient,
    respond: Respond,
    context: BoltContext,
) -> None:
    ack()
    services = services_of(context)
    user = user_of(body)
    opened = service.start_edit(
        services.db, services.settings.admin_user_ids, _decision_id(action) or 0, user, services.clock()
    )
    if isinstance(opened, Refused):
        tell(body, respond, client, refusal_text(opened))
        return
    push = (body.get("view") or {}).get("type") == "modal"
    failed = open_frame(services, client, body, opened, user, push=push)
    if failed is not None:
        not_opened(body, respond, failed)


def open_clicked(
    ack: Ack,
    body: dict[str, Any],
    action: dict[str, Any],
    client: WebClient,
    respond: Respond,
    context: BoltContext,
) -> None:
    ack()
    services = services_of(context)
    user = user_of(body)
    value = action.get("value") or ""
    channel = (body.get("channel") or {}).get("id")
    account_id = as_row_id(value)
    opened = service.start_new(services.db, user, services.clock(), channel=channel, account_id=account_id)
    failed = open_frame(services, client, body, opened, user)
    if failed is not None:
        not_opened(body, respond, failed)


def register(app: App) -> None:
    app.action(ids.VIEW)(guarded(view_record))
    app.action(ids.START_REVIEW)(ack=guarded(start_review), lazy=[guarded(rerun_scenarios)])
    app.action(ids.MARK_REVIEWED)(ack=guarded(mark_reviewed), lazy=[guarded(refresh_changed)])
    app.view(ids.REVIEW_MODAL)(ack=guarded(review_submitted), lazy=[guarded(refresh_changed)])
    app.action(ids.REVERSE)(guarded(reverse_clicked))
    app.view(ids.REVERSE_MODAL)(ack=guarded(reverse_submitted), lazy=[guarded(refresh_changed)])
    app.action(ids.SUPERSEDE)(guarded(supersede_clicked))
    app.action(ids.EDIT)(guarded(edit_clicked))
    app.action(ids.OPEN)(guarded(open_clicked))
