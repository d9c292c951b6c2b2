"""Decision modals in progress, kept in the database (a step's text outgrows private_metadata, and the
flow must survive a restart between steps), and the one-time commit of a finished draft."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from pydantic import BaseModel, Field, ValidationError
from sqlalchemy import delete
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.decisions.lifecycle import DecisionNotFound, TransitionRefused, edit, load, supersede
from bot.decisions.record import DecisionInput, format_short_id
from bot.decisions.store import InvalidDecision, NotAllowed, create_decision, release
from bot.decisions.validation import Errors, validate
from storage.db import Database
from storage.idempotency import claim
from storage.models.decisions import DecisionDraft

log = logging.getLogger(__name__)

DRAFT_TTL = timedelta(days=7)
GENERAL = "_"  # the error key of a refusal that names no field


class DraftState(BaseModel):
    input: DecisionInput = Field(default_factory=DecisionInput)
    channel: str | None = None  # where the flow started; the record goes there if no decisions channel
    supersedes_id: int | None = None
    editing_id: int | None = None
    committed_id: int | None = None

    @property
    def verb(self) -> str:
        if self.editing_id:
            return f"Edit {format_short_id(self.editing_id)}"
        if self.supersedes_id:
            return f"Supersede {format_short_id(self.supersedes_id)}"
        return "New decision"


def new_draft(db: Database, user_id: str, state: DraftState, now: datetime) -> str:
    draft_id = secrets.token_hex(12)
    with db.session() as session:
        # Abandoned modals leave drafts behind; each new one sweeps the stale ones (indexed, cheap).
        session.execute(delete(DecisionDraft).where(DecisionDraft.updated_at < now - DRAFT_TTL))
        session.add(
            DecisionDraft(
                id=draft_id,
                user_id=user_id,
                data=state.model_dump(mode="json"),
                created_at=now,
                updated_at=now,
            )
        )
    return draft_id


def _read(session: Session, draft_id: str, user_id: str | None) -> DecisionDraft | None:
    row = session.get(DecisionDraft, draft_id)
    if row is None or (user_id is not None and row.user_id != user_id):
        return None
    return row


def load_draft(db: Database, draft_id: str | None, user_id: str | None) -> DraftState | None:
    """The draft, if it exists and belongs to `user_id` (None: any user, for background work)."""
    if not draft_id:
        return None
    with db.session() as session:
        row = _read(session, draft_id, user_id)
        if row is None:
            return None
        try:
            return DraftState.model_validate(row.data)
        except ValidationError:
            log.warning("unreadable decision draft %s", draft_id)
            return None


def save_draft(db: Database, draft_id: str, state: DraftState, now: datetime) -> None:
    with db.session() as session:
        _save_draft(session, draft_id, state, now)


def _save_draft(session: Session, draft_id: str, state: DraftState, now: datetime) -> None:
    row = session.get(DecisionDraft, draft_id)
    if row is None:
        return
    data = state.model_dump(mode="json")
    # A concurrent double submit may save a copy read before the first one committed: never let it
    # erase the committed id, or the record would not be posted.
    data["committed_id"] = data.get("committed_id") or (row.data or {}).get("committed_id")
    row.data = data
    row.updated_at = now


def delete_draft(db: Database, draft_id: str) -> None:
    with db.session() as session:
        session.execute(delete(DecisionDraft).where(DecisionDraft.id == draft_id))


@dataclass(frozen=True)
class CommitResult:
    decision_id: int | None = None
    errors: Errors = field(default_factory=dict)
    duplicate: bool = False  # a double click or retry: the first one did the work
    expired: bool = False  # no such draft (abandoned and swept, or someone else's)


def commit_draft(
    db: Database, settings: Settings, draft_id: str, user_id: str, now: datetime, today: date
) -> CommitResult:
    """Store the decision a finished draft describes, once: new, superseding, or an edit."""
    state = load_draft(db, draft_id, user_id)
    if state is None:
        return CommitResult(expired=True)
    if state.committed_id is not None:
        return CommitResult(decision_id=state.committed_id, duplicate=True)
    check_date = True
    if state.editing_id is not None:
        with db.session() as session:
            try:
                check_date = load(session, state.editing_id).review_date != state.input.review_date
            except DecisionNotFound as exc:
                return CommitResult(errors={GENERAL: str(exc)})
    errors = validate(state.input, today, check_review_date=check_date)
    if errors:
        return CommitResult(errors=errors)
    key = f"decision-commit:{draft_id}"
    if not claim(db, key):
        return CommitResult(duplicate=True)
    try:
        with db.session() as session:
            if state.editing_id is not None:
                decision, _changed = edit(
                    session, settings, state.editing_id, state.input, actor=user_id, now=now, today=today
                )
            elif state.supersedes_id is not None:
                decision, _old = supersede(
                    session,
                    settings,
                    state.supersedes_id,
                    state.input,
                    actor=user_id,
                    now=now,
                    today=today,
                    source_channel=state.channel,
                )
            else:
                decision = create_decision(
                    session, state.input, actor=user_id, now=now, today=today, source_channel=state.channel
                )
            decision_id = decision.id
            # In the same transaction: a record stored without its committed id on the draft would
            # never be posted (a resubmit finds the claim taken and the lazy post finds no id).
            state.committed_id = decision_id
            _save_draft(session, draft_id, state, now)
    except InvalidDecision as exc:
        release(db, key)
        return CommitResult(errors=exc.errors)
    except (NotAllowed, TransitionRefused, DecisionNotFound) as exc:
        release(db, key)
        return CommitResult(errors={GENERAL: str(exc)})
    except BaseException:
        release(db, key)
        raise
    return CommitResult(decision_id=decision_id)
