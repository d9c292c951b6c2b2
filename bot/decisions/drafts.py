"""Decision modals in progress, kept in the database (a step's text outgrows private_metadata, and the
flow must survive a restart between steps).

A draft row holds a `DraftState` as JSON. Two rules keep a double click from losing a record:
- every change to a draft happens inside a transaction that first *locks* the row (`lock_draft`: an
  UPDATE, which takes the row lock on PostgreSQL and the write lock on SQLite, before anything is read),
  so the state it reads is the latest committed one;
- `save_input` writes the typed input only, never `committed_id`: a copy read before a commit cannot
  erase the id of the record that commit stored (only `mark_committed` sets it).
"""

from __future__ import annotations

import logging
import secrets
from datetime import date, datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel, Field, ValidationError
from sqlalchemy import delete, update
from sqlalchemy.orm import Session

from bot.decisions.record import DecisionInput, format_short_id
from bot.decisions.validation import Errors, validate_compare, validate_frame
from storage.models.decisions import DecisionDraft

log = logging.getLogger(__name__)

DRAFT_TTL = timedelta(days=7)


class Step(StrEnum):
    FRAME = "frame"
    COMPARE = "compare"
    COMMIT = "commit"


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


def new_draft(session: Session, user_id: str, state: DraftState, now: datetime) -> str:
    draft_id = secrets.token_hex(12)
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


def delete_draft(session: Session, draft_id: str, user_id: str) -> None:
    """Forget a draft whose modal never opened (nobody can ever submit it)."""
    session.execute(
        delete(DecisionDraft).where(DecisionDraft.id == draft_id, DecisionDraft.user_id == user_id)
    )


def _state(row: DecisionDraft) -> DraftState | None:
    try:
        return DraftState.model_validate(row.data)
    except ValidationError:
        log.warning("unreadable decision draft %s", row.id)
        return None


def read_draft(session: Session, draft_id: str | None, user_id: str | None) -> DraftState | None:
    """The draft, if it exists and belongs to `user_id` (None: any user), without locking it."""
    row = session.get(DecisionDraft, draft_id) if draft_id else None
    if row is None or (user_id is not None and row.user_id != user_id):
        return None
    return _state(row)


def lock_draft(
    session: Session, draft_id: str | None, user_id: str, now: datetime
) -> tuple[DecisionDraft, DraftState] | None:
    """The user's draft row, locked until `session` ends, and its state read after the lock.

    The UPDATE comes first on purpose: a concurrent submission of the same draft waits here until this
    transaction ends, then reads what it committed (e.g. the committed id), never an older copy.
    """
    if not draft_id:
        return None
    touched = session.execute(
        update(DecisionDraft)
        .where(DecisionDraft.id == draft_id, DecisionDraft.user_id == user_id)
        .values(updated_at=now)
    )
    if not touched.rowcount:  # type: ignore[attr-defined]
        return None  # swept, never there, or someone else's
    row = session.get(DecisionDraft, draft_id, populate_existing=True)
    state = _state(row) if row is not None else None
    return (row, state) if row is not None and state is not None else None


def save_input(row: DecisionDraft, data: DecisionInput, now: datetime) -> None:
    """Replace what was typed, and nothing else (see the module docstring)."""
    row.data = {**(row.data or {}), "input": data.model_dump(mode="json")}
    row.updated_at = now


def mark_committed(row: DecisionDraft, decision_id: int) -> None:
    row.data = {**(row.data or {}), "committed_id": decision_id}


def validate_step(step: Step, data: DecisionInput, today: date) -> Errors:
    """The refusals a step checks before moving on (commit checks everything, in the service)."""
    if step is Step.FRAME:
        return validate_frame(data, today)
    if step is Step.COMPARE:
        return validate_compare(data)
    return {}
