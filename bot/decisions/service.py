"""The decisions capability's front door: every use case of decision records, for Slack, the CLI and
the bench alike. Plain functions with explicit dependencies (the database, the admins, `now`, the team's
`today`), typed results from `bot.decisions.results`; nothing here knows Slack.

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
from typing import Any

from sqlalchemy.orm import Session

from bot.decisions import delivery, lifecycle
from bot.decisions import scenarios as attachments
from bot.decisions.account_search import search_accounts
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
from bot.decisions.export import tier_name
from bot.decisions.lifecycle import DecisionNotFound, TransitionRefused
from bot.decisions.listing import LIST_FILTERS, ListFilter, ListQuery, list_decisions
from bot.decisions.record import DecisionInput, local_today
from bot.decisions.results import (
    Attached,
    Changed,
    Committed,
    DraftOpened,
    Duplicate,
    HomeLists,
    Listing,
    RecordView,
    RefusalKind,
    Refused,
    ReviewForm,
    ScopeUnknown,
)
from bot.decisions.scenarios import AttachedScenario, Attachment, Target, TargetKind
from bot.decisions.snapshot import RecordSnapshot, load_snapshot, snapshot_of
from bot.decisions.store import (
    InvalidDecision,
    NotAllowed,
    can_change,
    create_decision,
    input_of,
    require_change,
)
from bot.decisions.validation import Errors, validate
from bot.matching import AccountIndex, MatchKind
from bot.policy.model import Policy
from storage.db import Database
from storage.idempotency import AlreadyClaimed, claim_in
from storage.models import Account
from storage.models.decisions import Decision

Update = Callable[[DecisionInput], DecisionInput]
Refusal = InvalidDecision | NotAllowed | TransitionRefused | DecisionNotFound
REFUSALS = (InvalidDecision, NotAllowed, TransitionRefused, DecisionNotFound)


def today(now: datetime, timezone: str) -> date:
    """The team's calendar date (review dates are days in the team's time zone)."""
    return local_today(now, timezone)


def refused(exc: Refusal) -> Refused:
    """A domain refusal as data."""
    if isinstance(exc, NotAllowed):
        return Refused(RefusalKind.NOT_ALLOWED, decision_id=exc.decision_id, owner=exc.owner)
    if isinstance(exc, DecisionNotFound):
        return Refused(RefusalKind.NOT_FOUND, decision_id=exc.decision_id)
    if isinstance(exc, InvalidDecision):
        return Refused(RefusalKind.INVALID, errors=dict(exc.errors))
    return Refused(RefusalKind.TRANSITION, message=str(exc), field=exc.field)


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


# -- delivering posts (the ledger's `decision-post` rows) -------------------------------------------------
def delivery_item(db: Database, spec: dict[str, Any]) -> delivery.Item | None:
    """What a queued row is to send, read now (None: its record is gone)."""
    with db.session() as session:
        return delivery.item_of(session, spec)


def delivered(
    db: Database,
    spec: dict[str, Any],
    *,
    status: str,
    channel: str | None,
    ts: str | None,
    error: str | None,
    attempt: int,
    shown_version: int | None,
    now: datetime,
) -> delivery.Delivered:
    """Record what became of an attempt (where the record now is; notices to its author), in one
    transaction; see `bot.decisions.delivery.after_attempt`."""
    with db.session() as session:
        return delivery.after_attempt(session, spec, status, channel, ts, error, attempt, shown_version, now)


def repost(
    db: Database, decision_id: int, decisions_channel: str | None, now: datetime
) -> delivery.Requeued | None:
    """Queue a record's post again after it was given up (`tierbot decisions repost D-42`)."""
    with db.session() as session:
        return delivery.requeue(session, decision_id, decisions_channel, now)


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


# -- lists -------------------------------------------------------------------------------------------------
def list_records(
    db: Database, policy: Policy, index: AccountIndex, text: str, today: date, limit: int = 20
) -> Listing | ScopeUnknown:
    """`[open|due|all] [tier or account]`: the records in force (default), due or all, touching the tier
    or the account (or its tier) the rest of `text` names."""
    words = text.split()
    status = ListFilter.OPEN
    if words and words[0].casefold() in LIST_FILTERS:
        status = ListFilter(words.pop(0).casefold())
    rest = " ".join(words)
    query = ListQuery(status=status, limit=limit)
    scope: str | None = None
    with db.session() as session:
        if rest:
            found = _scope(session, policy, index, query, rest)
            if isinstance(found, ScopeUnknown):
                return found
            query, scope = found
        lines, total = list_decisions(session, query, today)
    return Listing(tuple(lines), total, status, scope)


def _scope(
    session: Session, policy: Policy, index: AccountIndex, query: ListQuery, rest: str
) -> tuple[ListQuery, str] | ScopeUnknown:
    for tier in policy.tiers:
        if rest.casefold() in (tier.key, tier.name.casefold()):
            return ListQuery(status=query.status, tier=tier.key, limit=query.limit), tier.name
    match = index.match(rest)
    account = session.get(Account, match.account_id) if match.account_id is not None else None
    if account is not None:
        about = ListQuery(
            status=query.status, account_id=account.id, account_tier=account.tier, limit=query.limit
        )
        return about, f"{account.name} (or its tier, {tier_name(policy, account.tier)})"
    if match.kind is MatchKind.AMBIGUOUS:
        return ScopeUnknown(rest, tuple(c.name for c in match.candidates[:5]))
    return ScopeUnknown(rest)


def list_lines(db: Database, status: ListFilter, limit: int, today: date) -> Listing:
    with db.session() as session:
        lines, total = list_decisions(session, ListQuery(status=status, limit=limit), today)
    return Listing(tuple(lines), total, status)


def home(db: Database, today: date, *, due_limit: int, open_limit: int) -> HomeLists:
    """What App Home shows: reviews due, then the records in force (each list cut at its limit)."""
    with db.session() as session:
        due, due_total = list_decisions(session, ListQuery(status=ListFilter.DUE, limit=due_limit), today)
        open_, open_total = list_decisions(
            session, ListQuery(status=ListFilter.OPEN, limit=open_limit), today
        )
    return HomeLists(tuple(due), due_total, tuple(open_), open_total)


def account_options(index: AccountIndex, query: str) -> list[tuple[int, str]]:
    """(account id, name) pairs for the modal's account picker, best first."""
    return search_accounts(index, query) if query else []


# -- scenarios as evidence --------------------------------------------------------------------------------
def attach_targets(db: Database, admins: Collection[str], user_id: str, now: datetime) -> list[Target]:
    """Where a scenario can be attached: the user's drafts in progress and the open records they may
    change (`bot.decisions.scenarios` says what "open" means)."""
    with db.session() as session:
        return attachments.open_targets(session, admins, user_id, now)


def attach_scenario(
    db: Database,
    admins: Collection[str],
    target: Target,
    user_id: str,
    attachment: Attachment,
    *,
    now: datetime,
    once: str | None = None,
) -> Attached | Duplicate | Refused:
    """Attach a scenario as evidence to a draft or an open record, once per `once` key (a retried
    delivery or a double submit finds it taken); refused when the record is closed or gone."""
    try:
        with db.session() as session:
            if once is not None:
                claim_in(session, once)
            if target.kind is TargetKind.DRAFT:
                state = attachments.attach_to_draft(session, target.id, user_id, attachment, now)
                if state is None:
                    session.rollback()  # the claim too: nothing was attached
                    return Refused(RefusalKind.EXPIRED)
                return Attached(target)
            decision = attachments.attach_to_record(session, admins, int(target.id), user_id, attachment, now)
            session.flush()
            snapshot = snapshot_of(session, decision)
            update = delivery.queue_update(session, snapshot, now)
            return Attached(target, snapshot, (update,) if update is not None else ())
    except AlreadyClaimed:
        return Duplicate(int(target.id) if target.kind is TargetKind.DECISION else None)
    except REFUSALS as exc:
        return refused(exc)


def attached_scenarios(db: Database, decision_id: int) -> tuple[AttachedScenario, ...]:
    with db.session() as session:
        return attachments.attached(session, decision_id)
