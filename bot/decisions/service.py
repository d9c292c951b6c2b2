"""The decisions capability's front door: every use case of decision records, for Slack, the CLI and
the bench alike. Plain functions with explicit dependencies (the database, the admins, `now`, the
team's `today`), typed results from `bot.decisions.results`; nothing here knows Slack. Drafting,
committing and changing a posted record are here; finding records (`browse.py`), delivering posts
(`delivery.py`) and attaching scenarios (`attach.py`) are in their own modules, re-exported here.

Each use case is one transaction. Committing a draft (`commit`) locks the draft, validates, writes the
record and its history, marks the draft committed and reads back what to post, all at once; the draft's
committed id, read under that lock, is what makes a double click or a retry a `Duplicate`. Changes to a
posted record (`review`, `reverse`) claim their idempotency key inside their own transaction, so a
refusal rolls the claim back with everything else.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Collection
from datetime import date, datetime

from sqlalchemy.orm import Session

from bot.decisions import delivery, lifecycle
from bot.decisions import scenarios as attachments

# The use cases that live in their own modules, re-exported: adapters call them all from here.
from bot.decisions.attach import attach_scenario as attach_scenario
from bot.decisions.attach import attach_targets as attach_targets
from bot.decisions.attach import attached_scenarios as attached_scenarios
from bot.decisions.browse import account_options as account_options
from bot.decisions.browse import home as home
from bot.decisions.browse import list_lines as list_lines
from bot.decisions.browse import list_records as list_records
from bot.decisions.delivery import delivered as delivered
from bot.decisions.delivery import delivery_item as delivery_item
from bot.decisions.delivery import repost as repost
from bot.decisions.drafts import (
    DraftState,
    Step,
    delete_draft,
    lock_draft,
    mark_committed,
    new_draft,
    save_input,
    validate_step,
)
from bot.decisions.record import DecisionInput, local_today
from bot.decisions.refusals import REFUSALS
from bot.decisions.refusals import refused as refused
from bot.decisions.results import (
    Changed,
    Committed,
    DraftOpened,
    Duplicate,
    RecordView,
    RefusalKind,
    Refused,
    ReviewForm,
)
from bot.decisions.scenarios import AttachedScenario
from bot.decisions.snapshot import RecordSnapshot, load_snapshot, snapshot_of
from bot.decisions.store import can_change, create_decision, input_of, require_change
from bot.decisions.validation import Errors, validate
from storage.db import Database
from storage.idempotency import AlreadyClaimed, claim_in
from storage.models import Account
from storage.models.decisions import Decision

Update = Callable[[DecisionInput], DecisionInput]


def today(now: datetime, timezone: str) -> date:
    """The team's calendar date (review dates are days in the team's time zone)."""
    return local_today(now, timezone)


# -- drafts: the three-step modal ----------------------------------------------------------------------
def start_new(
    db: Database, user_id: str, now: datetime, channel: str | None = None, account_id: int | None = None
) -> DraftOpened:
    """A fresh draft; `account_id` (the /tier card's button) prefills the account and its tier."""
    with db.session() as session:
        data = DecisionInput()
        account = session.get(Account, account_id) if account_id is not None else None
        if account is not None:
            data = data.merged({"account_ids": [account.id], "tiers": [account.tier]})
        state = DraftState(input=data, channel=channel)
        return DraftOpened(new_draft(session, user_id, state, now), state)


def start_supersede(
    db: Database, admins: Collection[str], decision_id: int, user_id: str, channel: str | None, now: datetime
) -> DraftOpened | Refused:
    """A draft prefilled from a record in force, to replace it (refused early, before three steps)."""
    try:
        with db.session() as session:
            old = lifecycle.load(session, decision_id)
            lifecycle.check_supersedable(admins, old, user_id)
            data = input_of(session, old).merged(
                {"chosen_option": None, "review_date": None, "rationale": ""}
            )
            state = DraftState(input=data, channel=channel or old.source_channel, supersedes_id=old.id)
            return DraftOpened(new_draft(session, user_id, state, now), state)
    except REFUSALS as exc:
        return refused(exc)


def start_edit(
    db: Database, admins: Collection[str], decision_id: int, user_id: str, now: datetime
) -> DraftOpened | Refused:
    try:
        with db.session() as session:
            decision = lifecycle.load(session, decision_id)
            require_change(admins, decision, user_id)
            state = DraftState(
                input=input_of(session, decision), channel=decision.source_channel, editing_id=decision.id
            )
            return DraftOpened(new_draft(session, user_id, state, now), state)
    except REFUSALS as exc:
        return refused(exc)


def discard_draft(db: Database, draft_id: str, user_id: str) -> None:
    """A draft whose modal Slack did not open: deleted, so no orphan waits for the weekly sweep."""
    with db.session() as session:
        delete_draft(session, draft_id, user_id)


def save_step(
    db: Database, draft_id: str | None, user_id: str, update: Update, now: datetime
) -> DraftState | Refused:
    """Keep what a step's form holds (before validating it: a refusal loses nothing, even on restart)."""
    with db.session() as session:
        locked = lock_draft(session, draft_id, user_id, now)
        if locked is None:
            return Refused(RefusalKind.EXPIRED)
        row, state = locked
        data = update(state.input)
        save_input(row, data, now)
        return state.model_copy(update={"input": data})


def step_errors(step: Step, data: DecisionInput, today: date) -> Errors:
    """The refusals a step checks before the modal moves on (Commit checks everything, in `commit`)."""
    return validate_step(step, data, today)


def commit(
    db: Database,
    draft_id: str | None,
    user_id: str,
    update: Update,
    *,
    admins: Collection[str],
    decisions_channel: str | None,
    now: datetime,
    today: date,
) -> Committed | Duplicate | Refused:
    """Store the record a finished draft describes, once (new, superseding, or an edit), in one
    transaction, and say what to post. A refusal keeps what was typed and stores nothing."""
    data: DecisionInput | None = None
    try:
        with db.session() as session:
            locked = lock_draft(session, draft_id, user_id, now)
            if locked is None:
                return Refused(RefusalKind.EXPIRED)
            row, state = locked
            if state.committed_id is not None:
                return Duplicate(state.committed_id)
            data = update(state.input)
            save_input(row, data, now)
            errors = validate(data, today, check_review_date=_checks_review_date(session, state, data))
            if errors:
                return Refused(RefusalKind.INVALID, errors=errors)
            committed = _store(session, state, data, user_id, admins, decisions_channel, now, today)
            mark_committed(row, committed.record.id)
            # The draft's attached scenarios travel with the record (read back into what is returned).
            attachments.hand_over(session, row.id, committed.record.id)
            committed = dataclasses.replace(
                committed,
                record=dataclasses.replace(committed.record, scenarios=_scenarios(session, committed)),
            )
            # Queued with the record, in this transaction: a record is never stored without its post.
            keys = delivery.queue_committed(
                session, committed.record, committed.post_to, committed.refresh, user_id, state.channel, now
            )
            return dataclasses.replace(committed, deliveries=keys)
    except REFUSALS as exc:
        # Rolled back, typed input included: keep it, as the validation refusals above do.
        if data is not None:
            typed = data
            save_step(db, draft_id, user_id, lambda _: typed, now)
        return refused(exc)


def _scenarios(session: Session, committed: Committed) -> tuple[AttachedScenario, ...]:
    return attachments.attached(session, committed.record.id)


def _checks_review_date(session: Session, state: DraftState, data: DecisionInput) -> bool:
    """An overdue record may be corrected without moving its review date; a new date must be valid."""
    if state.editing_id is None:
        return True
    return lifecycle.load(session, state.editing_id).review_date != data.review_date


def _store(
    session: Session,
    state: DraftState,
    data: DecisionInput,
    user_id: str,
    admins: Collection[str],
    decisions_channel: str | None,
    now: datetime,
    today: date,
) -> Committed:
    if state.editing_id is not None:
        decision, _changed = lifecycle.edit(
            session, admins, state.editing_id, data, actor=user_id, now=now, today=today
        )
        record = snapshot_of(session, decision)
        return Committed(record=record, post_to=(), refresh=(record,))
    # The decisions channel, else where the flow started, else the author's DM.
    channels = tuple(dict.fromkeys(c for c in (decisions_channel, state.channel, user_id) if c))
    if state.supersedes_id is not None:
        new, old = lifecycle.supersede(
            session,
            admins,
            state.supersedes_id,
            data,
            actor=user_id,
            now=now,
            today=today,
            source_channel=state.channel,
        )
        session.flush()
        return Committed(snapshot_of(session, new), channels, (snapshot_of(session, old),))
    decision = create_decision(
        session, data, actor=user_id, now=now, today=today, source_channel=state.channel
    )
    return Committed(snapshot_of(session, decision), channels, ())


# -- a posted record: view, review, reverse --------------------------------------------------------------
def record(db: Database, decision_id: int) -> RecordSnapshot | None:
    with db.session() as session:
        return load_snapshot(session, decision_id)


def view_record(db: Database, admins: Collection[str], decision_id: int, user_id: str) -> RecordView | None:
    found = record(db, decision_id)
    return RecordView(found, can_change(admins, found, user_id)) if found is not None else None


def start_review(
    db: Database, admins: Collection[str], decision_id: int, user_id: str, today: date
) -> ReviewForm | Refused:
    try:
        with db.session() as session:
            decision = lifecycle.load(session, decision_id)
            require_change(admins, decision, user_id)
            next_review = lifecycle.default_next_review(decision, today)
            return ReviewForm(snapshot_of(session, decision), next_review)
    except REFUSALS as exc:
        return refused(exc)


def start_reverse(
    db: Database, admins: Collection[str], decision_id: int, user_id: str
) -> RecordSnapshot | Refused:
    try:
        with db.session() as session:
            decision = lifecycle.load(session, decision_id)
            lifecycle.check_reversible(admins, decision, user_id)
            return snapshot_of(session, decision)
    except REFUSALS as exc:
        return refused(exc)


def review(
    db: Database,
    admins: Collection[str],
    decision_id: int,
    *,
    actor: str,
    outcome: str,
    now: datetime,
    today: date,
    once: str,
    note: str = "",
    next_review: date | None = None,
) -> Changed | Duplicate | Refused:
    """Record a review, once per `once` key (a retried delivery or a double submit finds it taken)."""

    def change(session: Session) -> Decision:
        return lifecycle.review(
            session,
            admins,
            decision_id,
            actor=actor,
            outcome=outcome,
            now=now,
            today=today,
            note=note,
            next_review=next_review,
        )

    return _change_once(db, once, change, now)


def reverse(
    db: Database,
    admins: Collection[str],
    decision_id: int,
    *,
    actor: str,
    reason: str,
    now: datetime,
    once: str,
) -> Changed | Duplicate | Refused:
    def change(session: Session) -> Decision:
        return lifecycle.reverse(session, admins, decision_id, actor=actor, reason=reason, now=now)

    return _change_once(db, once, change, now)


def _change_once(
    db: Database, key: str, change: Callable[[Session], Decision], now: datetime
) -> Changed | Duplicate | Refused:
    try:
        with db.session() as session:
            claim_in(session, key)
            decision = change(session)
            session.flush()
            record = snapshot_of(session, decision)
            update = delivery.queue_update(session, record, now)
            return Changed(record, (update,) if update is not None else ())
    except AlreadyClaimed:
        return Duplicate()
    except REFUSALS as exc:
        return refused(exc)
