"""Listeners for what can be done to a posted decision record: View, Start review, Mark reviewed,
Reverse, Supersede, Edit. Permission and state checks live in bot.decisions; this parses and renders."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.orm import Session

from bot.decisions.drafts import DraftState, new_draft
from bot.decisions.lifecycle import (
    DecisionNotFound,
    TransitionRefused,
    check_supersedable,
    default_next_review,
    describe_state,
    load,
    reverse,
    review,
)
from bot.decisions.record import format_short_id, local_today
from bot.decisions.snapshot import RecordSnapshot, load_snapshot
from bot.decisions.store import (
    NotAllowed,
    can_change,
    input_of,
    is_claimed,
    release,
    require_change,
    set_message,
)
from bot.services import Services
from bot.views import decision_ids as ids
from bot.views.decision_dialogs import notice_modal, read_metadata, reverse_modal, review_modal, view_modal
from bot.views.decision_modal import ModalContext, frame_view
from bot.views.decision_record import notice_message, record_message
from handlers._guard import guarded
from storage.idempotency import claim
from storage.models import Account

log = logging.getLogger(__name__)


def today(services: Services) -> date:
    return local_today(services.clock(), services.settings.default_timezone)


def snapshot(services: Services, decision_id: int) -> RecordSnapshot | None:
    with services.db.session() as session:
        return load_snapshot(session, decision_id)


def account_names(services: Services, account_ids: list[int]) -> dict[int, str]:
    index = services.account_index()
    return {a: index.names.get(a, f"Account {a}") for a in account_ids}


def post_record(services: Services, client: WebClient, decision_id: int, channels: list[str | None]) -> None:
    """Post the record to the first channel that takes it (decisions channel, then where it started)."""
    record = snapshot(services, decision_id)
    if record is None:
        return
    message = record_message(record, services.policy, today(services))
    for channel in dict.fromkeys(c for c in channels if c):
        try:
            response = client.chat_postMessage(channel=channel, **message)
        except SlackApiError as exc:
            log.warning("could not post %s to %s: %s", record.short_id, channel, exc.response.get("error"))
            continue
        set_message(services.db, decision_id, str(response["channel"]), str(response["ts"]))
        return
    log.error("decision %s was stored but could not be posted anywhere", record.short_id)


def refresh_record(services: Services, client: WebClient, decision_id: int | None) -> None:
    """Bring the posted message of a record up to date after a change (no-op if it was never posted)."""
    record = snapshot(services, decision_id) if decision_id else None
    if record is None or not record.message_channel or not record.message_ts:
        return
    message = record_message(record, services.policy, today(services))
    try:
        client.chat_update(channel=record.message_channel, ts=record.message_ts, **message)
    except SlackApiError as exc:
        log.warning("could not update %s: %s", record.short_id, exc.response.get("error"))


def tell(body: dict[str, Any], respond: Respond | None, client: WebClient, text: str) -> None:
    """An answer only the clicking user sees: ephemeral in a message, a small modal elsewhere (App Home)."""
    in_message = (body.get("container") or {}).get("type") == "message"
    if respond is not None and in_message and body.get("response_url"):
        respond(response_type="ephemeral", replace_original=False, **notice_message(text))
    elif body.get("trigger_id"):
        client.views_open(trigger_id=body["trigger_id"], view=notice_modal("tierbot", text))


def modal_context(services: Services, draft_id: str, state: DraftState) -> ModalContext:
    names = account_names(services, state.input.account_ids)
    return ModalContext(draft_id, state.verb, services.policy, today(services), names)


def open_flow(
    services: Services,
    client: WebClient,
    body: dict[str, Any],
    user_id: str,
    state: DraftState,
    push: bool = False,
) -> None:
    """Start the three-step modal on a fresh draft."""
    draft_id = new_draft(services.db, user_id, state, services.clock())
    view = frame_view(modal_context(services, draft_id, state), state.input, user_id)
    if push:
        client.views_push(trigger_id=body["trigger_id"], view=view)
    else:
        client.views_open(trigger_id=body["trigger_id"], view=view)


def _decision_id(action: dict[str, Any]) -> int | None:
    raw = action.get("value") or (action.get("selected_option") or {}).get("value") or ""
    head = raw.split(":", 1)[0]
    return int(head) if head.isdigit() else None


def _where(body: dict[str, Any]) -> tuple[str | None, str | None]:
    container = body.get("container") or {}
    return container.get("channel_id"), container.get("message_ts")


def _submission(kind: str, view: dict[str, Any]) -> tuple[int | None, str]:
    """The record a modal submission is about, and its claim key: the submission handler claims it
    and the lazy refresh after it reads it, so both must derive it the same way."""
    decision_id, _, _ = read_metadata(view)
    return decision_id, f"decision-{kind}:{view.get('id', '')}:{decision_id}"


def _change_once(
    services: Services,
    ack: Ack,
    key: str,
    change: Callable[[Session], object],
    errors_for: Callable[[Exception], dict[str, str]],
) -> None:
    """Apply a submitted change once (a retried or double submission finds the claim and only closes
    the modal); a refusal gives the claim back and shows the reason on the form."""
    if not claim(services.db, key):
        ack(response_action="clear")
        return
    try:
        with services.db.session() as session:
            change(session)
    except (DecisionNotFound, NotAllowed, TransitionRefused) as exc:
        release(services.db, key)
        ack(response_action="errors", errors=errors_for(exc))
        return
    except BaseException:
        release(services.db, key)  # nothing recorded: submitting again must work
        raise
    ack(response_action="clear")


def register(app: App, services: Services) -> None:
    settings = services.settings

    @app.action(ids.VIEW)
    @guarded
    def view_record(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        ack()
        decision_id = _decision_id(action)
        record = snapshot(services, decision_id) if decision_id else None
        if record is None:
            tell(body, respond, client, "That decision no longer exists.")
            return
        user = body["user"]["id"]
        allowed = can_change(settings, record, user)
        client.views_open(
            trigger_id=body["trigger_id"],
            view=view_modal(record, services.policy, today(services), can_change=allowed),
        )

    @app.action(ids.START_REVIEW)
    @guarded
    def start_review(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        ack()
        user = body["user"]["id"]
        with services.db.session() as session:
            try:
                decision = load(session, _decision_id(action) or 0)
                require_change(settings, decision, user)
                next_review = default_next_review(decision, today(services))
            except (DecisionNotFound, NotAllowed) as exc:
                tell(body, respond, client, str(exc))
                return
        record = snapshot(services, decision.id)
        if record is None:
            return
        channel, ts = _where(body)
        client.views_open(
            trigger_id=body["trigger_id"],
            view=review_modal(record, services.policy, next_review, channel=channel, ts=ts),
        )

    def mark_key(action: dict[str, Any]) -> str:
        value = (action.get("selected_option") or {}).get("value", "")
        return f"decision-mark:{value}:{action.get('action_ts', '')}"

    def mark_reviewed(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        ack()
        value = (action.get("selected_option") or {}).get("value", "")
        decision_id, _, outcome = value.partition(":")
        # A retried delivery carries the same action_ts: it finds the claim and does nothing.
        if not decision_id.isdigit() or not claim(services.db, mark_key(action)):
            return
        try:
            with services.db.session() as session:
                review(
                    session,
                    settings,
                    int(decision_id),
                    actor=body["user"]["id"],
                    outcome=outcome,
                    now=services.clock(),
                    today=today(services),
                )
        except (DecisionNotFound, NotAllowed, TransitionRefused) as exc:
            release(services.db, mark_key(action))
            tell(body, respond, client, str(exc))

    def refresh_marked(action: dict[str, Any], client: WebClient) -> None:
        # The claim is kept only when the review was recorded.
        if is_claimed(services.db, mark_key(action)):
            refresh_record(services, client, _decision_id(action))

    app.action(ids.MARK_REVIEWED)(ack=guarded(mark_reviewed), lazy=[guarded(refresh_marked)])

    def review_submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        decision_id, key = _submission("review", view)
        values = view["state"]["values"]
        outcome = ((values.get(ids.OUTCOME, {}).get(ids.INPUT) or {}).get("selected_option") or {}).get(
            "value"
        )
        note = (values.get(ids.NOTE, {}).get(ids.INPUT) or {}).get("value") or ""
        raw_date = (values.get(ids.NEXT_REVIEW, {}).get(ids.INPUT) or {}).get("selected_date")
        if decision_id is None:
            ack(response_action="clear")
            return

        def errors_for(exc: Exception) -> dict[str, str]:
            on_date = isinstance(exc, TransitionRefused) and exc.field == "next_review"
            return {ids.NEXT_REVIEW if on_date else ids.OUTCOME: str(exc)}

        _change_once(
            services,
            ack,
            key,
            lambda session: review(
                session,
                settings,
                decision_id,
                actor=body["user"]["id"],
                outcome=outcome or "",
                now=services.clock(),
                today=today(services),
                note=note,
                next_review=date.fromisoformat(raw_date) if raw_date else None,
            ),
            errors_for,
        )

    def refreshes_after(kind: str) -> Any:
        def refresh_after(body: dict[str, Any], client: WebClient) -> None:
            decision_id, key = _submission(kind, body.get("view") or {})
            # Only a submission that changed the record (its claim was kept) updates the message.
            if is_claimed(services.db, key):
                refresh_record(services, client, decision_id)

        return guarded(refresh_after)

    app.view(ids.REVIEW_MODAL)(ack=guarded(review_submitted), lazy=[refreshes_after("review")])

    @app.action(ids.REVERSE)
    @guarded
    def reverse_clicked(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        ack()
        with services.db.session() as session:
            try:
                decision = load(session, _decision_id(action) or 0)
                require_change(settings, decision, body["user"]["id"])
                if decision.status not in ("open", "reviewed"):
                    raise TransitionRefused(
                        f"{format_short_id(decision.id)} is already {describe_state(decision)}; "
                        "it cannot be reversed."
                    )
            except (DecisionNotFound, NotAllowed, TransitionRefused) as exc:
                tell(body, respond, client, str(exc))
                return
        record = snapshot(services, decision.id)
        if record is not None:
            channel, ts = _where(body)
            client.views_open(
                trigger_id=body["trigger_id"], view=reverse_modal(record, channel=channel, ts=ts)
            )

    def reverse_submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        decision_id, key = _submission("reverse", view)
        reason = (view["state"]["values"].get(ids.REASON, {}).get(ids.INPUT) or {}).get("value") or ""
        if decision_id is None:
            ack(response_action="clear")
            return
        _change_once(
            services,
            ack,
            key,
            lambda session: reverse(
                session, settings, decision_id, actor=body["user"]["id"], reason=reason, now=services.clock()
            ),
            lambda exc: {ids.REASON: str(exc)},
        )

    app.view(ids.REVERSE_MODAL)(ack=guarded(reverse_submitted), lazy=[refreshes_after("reverse")])

    @app.action(ids.SUPERSEDE)
    @guarded
    def supersede_clicked(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        ack()
        user = body["user"]["id"]
        with services.db.session() as session:
            try:
                old = load(session, _decision_id(action) or 0)
                check_supersedable(settings, old, user)
            except (DecisionNotFound, NotAllowed, TransitionRefused) as exc:
                tell(body, respond, client, str(exc))
                return
            data = input_of(session, old).merged(
                {"chosen_option": None, "review_date": None, "rationale": ""}
            )
            channel = (body.get("channel") or {}).get("id") or old.source_channel
        open_flow(services, client, body, user, DraftState(input=data, channel=channel, supersedes_id=old.id))

    @app.action(ids.EDIT)
    @guarded
    def edit_clicked(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        ack()
        user = body["user"]["id"]
        with services.db.session() as session:
            try:
                decision = load(session, _decision_id(action) or 0)
                require_change(settings, decision, user)
            except (DecisionNotFound, NotAllowed) as exc:
                tell(body, respond, client, str(exc))
                return
            data = input_of(session, decision)
        state = DraftState(input=data, channel=decision.source_channel, editing_id=decision.id)
        open_flow(services, client, body, user, state, push=(body.get("view") or {}).get("type") == "modal")

    @app.action(ids.OPEN)
    @guarded
    def open_clicked(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        ack()
        user = body["user"]["id"]
        data = DraftState().input
        value = action.get("value") or ""
        if value.isdigit():
            with services.db.session() as session:
                account = session.get(Account, int(value))
                if account is not None:
                    data = data.merged({"account_ids": [account.id], "tiers": [account.tier]})
        channel = (body.get("channel") or {}).get("id")
        open_flow(services, client, body, user, DraftState(input=data, channel=channel))
