"""/decision: log a tiering decision in three modal steps, list and show records. Thin: parse, call,
render. The buttons on a posted record are in `handlers.decision_actions`."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.orm import Session

from bot.accounts.matching import MatchKind
from bot.decisions.account_search import search_accounts
from bot.decisions.drafts import DraftState, commit_draft, load_draft, save_draft
from bot.decisions.export import tier_name
from bot.decisions.listing import LIST_FILTERS, ListQuery, list_decisions
from bot.decisions.record import parse_short_id
from bot.decisions.validation import validate_compare, validate_frame
from bot.services import Services
from bot.text import clean_input, escape_mrkdwn, truncate
from bot.views import decision_ids as ids
from bot.views.decision_dialogs import notice_modal
from bot.views.decision_modal import draft_id_of, step_view
from bot.views.decision_record import help_message, list_message, notice_message, show_message
from bot.views.decision_state import apply_state, block_errors
from handlers import decision_actions
from handlers._guard import guarded
from handlers.decision_actions import modal_context, open_flow, post_record, snapshot, today
from storage.idempotency import claim, release
from storage.models import Account

log = logging.getLogger(__name__)

Message = dict[str, Any]
EXPIRED = (
    "This draft is no longer available (it expired or was already recorded). Start again with `/decision`."
)
NEXT_STEP = {ids.FRAME: ids.COMPARE, ids.COMPARE: ids.COMMIT}


def _scope(services: Services, session: Session, text: str) -> tuple[ListQuery, str | None] | Message:
    """The list filter a `/decision list` argument names: a tier, an account, or an explanation."""
    words = text.split()
    status = "open"
    if words and words[0].casefold() in LIST_FILTERS:
        status = words.pop(0).casefold()
    rest = " ".join(words)
    if not rest:
        return ListQuery(status=status), None
    for tier in services.policy.tiers:
        if rest.casefold() in (tier.key, tier.name.casefold()):
            return ListQuery(status=status, tier=tier.key), tier.name
    match = services.account_index().match(rest)
    if match.account_id is not None:
        account = session.get(Account, match.account_id)
        if account is not None:
            query = ListQuery(status=status, account_id=account.id, account_tier=account.tier)
            return query, f"{account.name} (or its tier, {tier_name(services.policy, account.tier)})"
    if match.kind is MatchKind.AMBIGUOUS:
        names = ", ".join(escape_mrkdwn(c.name) for c in match.candidates[:5])
        return notice_message(f"`{escape_mrkdwn(truncate(rest, 100))}` could be {names}. Be more specific.")
    return notice_message(f"No tier or account matches `{escape_mrkdwn(truncate(rest, 100))}`.")


def list_answer(services: Services, text: str) -> Message:
    """`/decision list [open|due|all] [tier or account]` as a message (shared by Slack and the bench)."""
    day = today(services)
    with services.db.session() as session:
        parsed = _scope(services, session, clean_input(text, 300))
        if isinstance(parsed, dict):
            return parsed
        query, scope = parsed
        lines, total = list_decisions(session, query, day)
    return list_message(lines, total, query.status, scope, day)


def show_answer(services: Services, text: str) -> Message:
    decision_id = parse_short_id(clean_input(text, 50))
    if decision_id is None:
        return notice_message("Which decision? Write it as `/decision show D-42`.")
    record = snapshot(services, decision_id)
    if record is None:
        return notice_message(f"There is no decision D-{decision_id}. `/decision list all` shows them.")
    return show_message(record, services.policy, today(services))


def answer(services: Services, text: str) -> Message | None:
    """The message a /decision command answers with; None when it opens the modal instead."""
    command = clean_input(text, 300)
    verb, _, rest = command.partition(" ")
    verb = verb.casefold()
    if verb in ("", "new"):
        return None
    if verb == "list":
        return list_answer(services, rest)
    if verb == "show":
        return show_answer(services, rest)
    if parse_short_id(verb) is not None and not rest:
        return show_answer(services, verb)
    return help_message()


def register(app: App, services: Services) -> None:
    db = services.db

    @app.command("/decision")
    @guarded
    def decision_command(ack: Ack, body: dict[str, Any], command: dict[str, Any], client: WebClient) -> None:
        message = answer(services, command.get("text", ""))
        if message is not None:
            ack(response_type="ephemeral", **message)
            return
        user = command.get("user_id", "")
        try:
            open_flow(services, client, body, user, DraftState(channel=command.get("channel_id")))
        except SlackApiError as exc:
            log.warning("views.open failed: %s", exc.response.get("error"))
            ack(response_type="ephemeral", **notice_message("Slack did not open the form; please try again."))
            return
        ack()

    @app.options(ids.ACCOUNTS_SEARCH)
    @guarded
    def account_options(ack: Ack, body: dict[str, Any]) -> None:
        query = clean_input(body.get("value"), 100)
        found = search_accounts(services.account_index(), query) if query else []
        ack(
            options=[
                {"text": {"type": "plain_text", "text": truncate(name, 75)}, "value": str(aid)}
                for aid, name in found
            ]
        )

    def step_submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        step = view["callback_id"]
        user = body["user"]["id"]
        draft_id = draft_id_of(view)
        state = load_draft(db, draft_id, user)
        if state is None or draft_id is None:
            ack(response_action="update", view=notice_modal("Decision", EXPIRED))
            return
        # Saved before validating: a refusal keeps everything typed, here and after a restart.
        state.input = apply_state(step, view["state"]["values"], state.input)
        save_draft(db, draft_id, state, services.clock())
        errors = (
            validate_frame(state.input, today(services))
            if step == ids.FRAME
            else validate_compare(state.input)
        )
        if errors:
            ack(response_action="errors", errors=block_errors(step, view, errors))
            return
        next_view = step_view(NEXT_STEP[step], modal_context(services, draft_id, state), state.input, user)
        ack(response_action="update", view=next_view)

    app.view(ids.FRAME)(guarded(step_submitted))
    app.view(ids.COMPARE)(guarded(step_submitted))

    @app.action(ids.BACK)
    @guarded
    def back(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        ack()
        view = body.get("view") or {}
        user = body["user"]["id"]
        draft_id = draft_id_of(view)
        state = load_draft(db, draft_id, user)
        target = action.get("value")
        if state is None or draft_id is None or target not in ids.STEPS:
            return
        current = view.get("callback_id", "")
        if current in ids.STEPS:
            # What was typed on this step is kept for when the user comes forward again.
            state.input = apply_state(current, (view.get("state") or {}).get("values") or {}, state.input)
            save_draft(db, draft_id, state, services.clock())
        previous = step_view(target, modal_context(services, draft_id, state), state.input, user)
        try:
            client.views_update(view_id=view.get("id"), hash=view.get("hash"), view=previous)
        except SlackApiError as exc:
            # hash_conflict: the view changed meanwhile (a second click); the first update won.
            log.info("Back not applied: %s", exc.response.get("error"))

    def commit_submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        user = body["user"]["id"]
        draft_id = draft_id_of(view)
        state = load_draft(db, draft_id, user)
        if state is None or draft_id is None:
            ack(response_action="update", view=notice_modal("Decision", EXPIRED))
            return
        if state.committed_id is not None:
            ack(response_action="clear")  # a double click: the first submission recorded it
            return
        state.input = apply_state(ids.COMMIT, view["state"]["values"], state.input)
        save_draft(db, draft_id, state, services.clock())
        result = commit_draft(db, services.settings, draft_id, user, services.clock(), today(services))
        if result.expired:
            ack(response_action="update", view=notice_modal("Decision", EXPIRED))
        elif result.errors:
            ack(response_action="errors", errors=block_errors(ids.COMMIT, view, result.errors))
        else:
            ack(response_action="clear")

    def post_committed(body: dict[str, Any], client: WebClient) -> None:
        draft_id = draft_id_of(body.get("view") or {})
        state = load_draft(db, draft_id, None)
        key = f"decision-post:{draft_id}"
        if state is None or state.committed_id is None or not claim(db, key):
            return
        try:
            if state.editing_id is not None:
                decision_actions.refresh_record(services, client, state.editing_id)
                return
            user = body["user"]["id"]
            post_record(
                services,
                client,
                state.committed_id,
                [services.settings.decisions_channel, state.channel, user],
            )
        except BaseException:
            release(db, key)  # not posted: a retry of the submission may post it
            raise
        if state.supersedes_id is not None:
            decision_actions.refresh_record(services, client, state.supersedes_id)

    app.view(ids.COMMIT)(ack=guarded(commit_submitted), lazy=[guarded(post_committed)])
