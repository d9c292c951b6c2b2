"""/decision: log a tiering decision in three modal steps, list and show records. Thin: parse, call
`bot.decisions.service`, render with `bot.views`. The buttons on a posted record are in
`handlers.decision_actions`."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.decisions import service
from bot.decisions.drafts import Step
from bot.decisions.record import parse_short_id
from bot.decisions.results import Committed, Duplicate, RefusalKind, Refused
from bot.services import Services
from bot.text import clean_input, truncate
from bot.views import decision_ids as ids
from bot.views.decision_dialogs import notice_modal
from bot.views.decision_modal import draft_id_of, step_view
from bot.views.decision_record import (
    EXPIRED,
    help_message,
    listing_message,
    notice_message,
    refusal_text,
    show_message,
)
from bot.views.decision_state import GENERAL, apply_state, block_errors
from handlers._context import services_of
from handlers._decisions import deliver_now, modal_context, open_frame, today, user_of
from handlers._guard import guarded

log = logging.getLogger(__name__)

Message = dict[str, Any]
NEXT_STEP = {ids.FRAME: ids.COMPARE, ids.COMPARE: ids.COMMIT}
STEPS = {ids.FRAME: Step.FRAME, ids.COMPARE: Step.COMPARE, ids.COMMIT: Step.COMMIT}
# Where the Commit step's ack listener leaves what it stored for its lazy listener to post: only the
# submission that committed finds it, so a double click or a retry posts nothing.
COMMITTED = "decision_committed"


def answer(services: Services, text: str) -> Message | None:
    """The message a /decision command answers with; None when it opens the modal instead."""
    command = clean_input(text, 300)
    verb, _, rest = command.partition(" ")
    verb = verb.casefold()
    if verb in ("", "new"):
        return None
    day = today(services)
    if verb == "list":
        found = service.list_records(services.db, services.policy, services.account_index(), rest, day)
        return listing_message(found, day)
    if verb == "show" or (parse_short_id(verb) is not None and not rest):
        decision_id = parse_short_id(clean_input(rest if verb == "show" else verb, 50))
        if decision_id is None:
            return notice_message("Which decision? Write it as `/decision show D-42`.")
        record = service.record(services.db, decision_id)
        if record is None:
            return notice_message(f"There is no decision D-{decision_id}. `/decision list all` shows them.")
        return show_message(record, services.policy, day)
    return help_message()


def decision_command(
    ack: Ack, body: dict[str, Any], command: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    services = services_of(context)
    message = answer(services, command.get("text", ""))
    if message is not None:
        ack(response_type="ephemeral", **message)
        return
    user = command.get("user_id", "")
    opened = service.start_new(services.db, user, services.clock(), channel=command.get("channel_id"))
    failed = open_frame(services, client, body, opened, user)
    if failed is not None:
        ack(response_type="ephemeral", **notice_message(failed))
        return
    ack()


def account_options(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
    query = clean_input(body.get("value"), 100)
    found = service.account_options(services_of(context).account_index(), query)
    ack(
        options=[
            {"text": {"type": "plain_text", "text": truncate(name, 75)}, "value": str(aid)}
            for aid, name in found
        ]
    )


def step_submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext) -> None:
    """Frame and Compare: keep what was typed (even when refused), then refuse or show the next step."""
    services = services_of(context)
    step = view["callback_id"]
    user = user_of(body)
    values = view["state"]["values"]
    draft_id = draft_id_of(view)
    state = service.save_step(
        services.db, draft_id, user, lambda data: apply_state(step, values, data), services.clock()
    )
    if isinstance(state, Refused) or draft_id is None:
        ack(response_action="update", view=notice_modal("Decision", EXPIRED))
        return
    errors = service.step_errors(STEPS[step], state.input, today(services))
    if errors:
        ack(response_action="errors", errors=block_errors(step, view, errors))
        return
    ctx = modal_context(services, draft_id, state.verb, state.input.account_ids)
    ack(response_action="update", view=step_view(NEXT_STEP[step], ctx, state.input, user))


def back(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    ack()
    services = services_of(context)
    view = body.get("view") or {}
    user = user_of(body)
    draft_id = draft_id_of(view)
    target = action.get("value")
    if draft_id is None or target not in ids.STEPS:
        return
    current = view.get("callback_id", "")
    values = (view.get("state") or {}).get("values") or {}
    # What was typed on this step is kept for when the user comes forward again.
    state = service.save_step(
        services.db,
        draft_id,
        user,
        lambda data: apply_state(current, values, data) if current in ids.STEPS else data,
        services.clock(),
    )
    if isinstance(state, Refused):
        return
    ctx = modal_context(services, draft_id, state.verb, state.input.account_ids)
    previous = step_view(target, ctx, state.input, user)
    try:
        client.views_update(view_id=view.get("id"), hash=view.get("hash"), view=previous)
    except SlackApiError as exc:
        # hash_conflict: the view changed meanwhile (a second click); the first update won.
        log.info("Back not applied: %s", exc.response.get("error"))


def commit_submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext) -> None:
    services = services_of(context)
    settings = services.settings
    values = view["state"]["values"]
    result = service.commit(
        services.db,
        draft_id_of(view),
        user_of(body),
        lambda data: apply_state(ids.COMMIT, values, data),
        admins=settings.admin_user_ids,
        decisions_channel=settings.decisions_channel,
        now=services.clock(),
        today=today(services),
    )
    if isinstance(result, Committed):
        context[COMMITTED] = result
        ack(response_action="clear")
    elif isinstance(result, Duplicate):
        ack(response_action="clear")  # a double click: the first submission recorded it
    elif result.kind is RefusalKind.EXPIRED:
        ack(response_action="update", view=notice_modal("Decision", EXPIRED))
    elif result.kind is RefusalKind.INVALID:
        ack(response_action="errors", errors=block_errors(ids.COMMIT, view, dict(result.errors)))
    else:
        ack(response_action="errors", errors=block_errors(ids.COMMIT, view, {GENERAL: refusal_text(result)}))


def post_record(context: BoltContext, client: WebClient) -> None:
    """After the Commit step's ack: post the record it stored (lazy: posting may take seconds)."""
    committed = context.get(COMMITTED)
    if isinstance(committed, Committed):
        deliver_now(services_of(context), client, committed.deliveries)


def register(app: App) -> None:
    app.command("/decision")(guarded(decision_command))
    app.options(ids.ACCOUNTS_SEARCH)(guarded(account_options))
    app.view(ids.FRAME)(guarded(step_submitted))
    app.view(ids.COMPARE)(guarded(step_submitted))
    app.action(ids.BACK)(guarded(back))
    app.view(ids.COMMIT)(ack=guarded(commit_submitted), lazy=[guarded(post_record)])
