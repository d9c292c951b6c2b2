"""What happens to a record after it is made: reviewed (continue, adapt, stop), reversed, superseded,
edited. Each change is checked against who is asking and the record's state, then appended to history.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from bot.decisions.record import OUTCOMES, DecisionInput, format_short_id
from bot.decisions.store import (
    InvalidDecision,
    add_event,
    create_decision,
    input_of,
    is_in_force,
    record_fields,
    replace_links,
    require_change,
)
from bot.decisions.validation import validate
from storage.models.decisions import ACTIVE_STATUSES, Decision, DecisionStatus, EventKind, Outcome

DEFAULT_REVIEW_INTERVAL_DAYS = 30


class TransitionRefused(ValueError):
    """The record's state does not allow this change; `field` names the input to flag, if any."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class DecisionNotFound(LookupError):
    def __init__(self, decision_id: int) -> None:
        super().__init__(f"There is no decision {format_short_id(decision_id)}.")
        self.decision_id = decision_id


def load(session: Session, decision_id: int) -> Decision:
    decision = session.get(Decision, decision_id)
    if decision is None:
        raise DecisionNotFound(decision_id)
    return decision


def describe_state(decision: Decision) -> str:
    if decision.status == DecisionStatus.SUPERSEDED and decision.superseded_by_id:
        return f"superseded by {format_short_id(decision.superseded_by_id)}"
    if decision.status == DecisionStatus.REVIEWED and decision.last_outcome == Outcome.STOP:
        return "stopped at its last review"
    return decision.status


def default_next_review(decision: Decision, today: date) -> date | None:
    """Same rhythm as the first review, kept inside the horizon; None when the horizon leaves no room."""
    first = (decision.review_date - decision.created_at.date()).days
    interval = first if first >= 7 else DEFAULT_REVIEW_INTERVAL_DAYS
    candidate = min(today + timedelta(days=interval), decision.horizon)
    return candidate if candidate > today else None


def review(
    session: Session,
    admins: Collection[str],
    decision_id: int,
    *,
    actor: str,
    outcome: str,
    now: datetime,
    today: date,
    note: str = "",
    next_review: date | None = None,
) -> Decision:
    decision = load(session, decision_id)
    require_change(admins, decision, actor)
    sid = format_short_id(decision.id)
    if not is_in_force(decision):
        raise TransitionRefused(f"{sid} is {describe_state(decision)}; only a decision in force is reviewed.")
    if outcome not in OUTCOMES:
        raise TransitionRefused("Pick an outcome: continue, adapt or stop.", "outcome")
    detail: dict[str, Any] = {"outcome": outcome, "note": note}
    if outcome != Outcome.STOP:
        upcoming = next_review or default_next_review(decision, today)
        if upcoming is None:
            raise TransitionRefused(
                f"The horizon of {sid} ({decision.horizon.isoformat()}) has passed, so there is no next "
                "review to schedule. Stop it, or supersede it with a decision that has a new horizon.",
                "next_review",
            )
        if upcoming <= today:
            raise TransitionRefused("The next review must be after today.", "next_review")
        if upcoming > decision.horizon:
            raise TransitionRefused(
                f"The next review is beyond the horizon ({decision.horizon.isoformat()}). "
                "Supersede the decision to extend it.",
                "next_review",
            )
        detail["next_review"] = upcoming.isoformat()
        decision.review_date = upcoming
    decision.status = DecisionStatus.REVIEWED
    decision.last_outcome = outcome
    decision.last_reviewed_at = now
    add_event(session, decision, EventKind.REVIEWED, actor, now, **detail)
    return decision


def reverse(
    session: Session, admins: Collection[str], decision_id: int, *, actor: str, reason: str, now: datetime
) -> Decision:
    decision = load(session, decision_id)
    check_reversible(admins, decision, actor)
    if not reason.strip():
        raise TransitionRefused("Say what signal led to the reversal.", "reason")
    decision.status = DecisionStatus.REVERSED
    add_event(session, decision, EventKind.REVERSED, actor, now, reason=reason)
    return decision


def check_reversible(admins: Collection[str], decision: Decision, actor: str) -> None:
    """Refuse before the reason is asked for what `reverse` would refuse once it is given."""
    require_change(admins, decision, actor)
    if decision.status not in ACTIVE_STATUSES:
        raise TransitionRefused(
            f"{format_short_id(decision.id)} is already {describe_state(decision)}; it cannot be reversed."
        )


def check_supersedable(admins: Collection[str], decision: Decision, actor: str) -> None:
    """Refuse early (before a three-step modal is filled in) what `supersede` would refuse at the end."""
    require_change(admins, decision, actor)
    if decision.status not in ACTIVE_STATUSES:
        raise TransitionRefused(
            f"{format_short_id(decision.id)} is {describe_state(decision)}; only a decision in force "
            "can be superseded. Log a new decision instead."
        )


def supersede(
    session: Session,
    admins: Collection[str],
    old_id: int,
    data: DecisionInput,
    *,
    actor: str,
    now: datetime,
    today: date,
    source_channel: str | None = None,
) -> tuple[Decision, Decision]:
    """The new record, linked to the old one, which is marked superseded. Returns (new, old)."""
    old = load(session, old_id)
    check_supersedable(admins, old, actor)
    new = create_decision(
        session, data, actor=actor, now=now, today=today, source_channel=source_channel, supersedes_id=old.id
    )
    old.status = DecisionStatus.SUPERSEDED
    old.superseded_by_id = new.id
    add_event(session, old, EventKind.SUPERSEDED, actor, now, by=format_short_id(new.id))
    return new, old


def edit(
    session: Session,
    admins: Collection[str],
    decision_id: int,
    data: DecisionInput,
    *,
    actor: str,
    now: datetime,
    today: date,
) -> tuple[Decision, list[str]]:
    """Apply changed fields; the history keeps each field's old and new value. Returns the changed names."""
    decision = load(session, decision_id)
    require_change(admins, decision, actor)
    if decision.status not in ACTIVE_STATUSES:
        raise TransitionRefused(
            f"{format_short_id(decision.id)} is {describe_state(decision)}; its record is closed to edits."
        )
    # An overdue record may be corrected without moving its review date; a new date must be valid.
    errors = validate(data, today, check_review_date=data.review_date != decision.review_date)
    if errors:
        raise InvalidDecision(errors)
    before = _comparable(input_of(session, decision))
    for key, value in record_fields(data).items():
        setattr(decision, key, value)
    replace_links(session, decision, data)
    session.flush()
    after = _comparable(input_of(session, decision))
    changed = {k: {"from": before[k], "to": after[k]} for k in after if before.get(k) != after[k]}
    if changed:
        add_event(session, decision, EventKind.EDITED, actor, now, changed=changed)
    return decision, sorted(changed)


def _comparable(data: DecisionInput) -> dict[str, Any]:
    dumped = data.model_dump(mode="json")
    # Blank option rows are not stored, so they must not count as an edit either.
    dumped["options"] = [o for o in dumped["options"] if o["title"].strip()]
    dumped["tiers"] = sorted(set(dumped["tiers"]))
    dumped["account_ids"] = sorted(set(dumped["account_ids"]))
    return dumped
