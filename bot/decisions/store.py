"""Storing and reading decision records: create, get, list, who may change one, the history.

Plain SQLAlchemy; no Slack. Every write appends a `DecisionEvent` and bumps the DECISIONS version.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import date, datetime
from typing import Any, Protocol

from sqlalchemy import ColumnElement, delete, select
from sqlalchemy.orm import Session

from bot.decisions.record import DecisionInput, format_short_id
from bot.decisions.validation import Errors, validate
from storage.models import Account
from storage.models.decisions import (
    Decision,
    DecisionAccount,
    DecisionEvent,
    DecisionStatus,
    DecisionTier,
    EventKind,
    ReviewTrigger,
    decision_in_force,
)
from storage.versions import DECISIONS, bump_version


class InvalidDecision(ValueError):
    """The record breaks one of the framework's refusals; `errors` maps field -> message."""

    def __init__(self, errors: Errors) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


class NotAllowed(PermissionError):
    """Someone other than the owner or an admin tried to change a record. Data, not a sentence for
    Slack: views say who the owner is (`bot.views.decision_record.refusal_text`)."""

    def __init__(self, decision_id: int, owner: str) -> None:
        super().__init__(
            f"Only the owner ({owner}) or a tierbot admin can change {format_short_id(decision_id)}. "
            "Nothing was changed."
        )
        self.decision_id = decision_id
        self.owner = owner


class HasOwner(Protocol):
    @property
    def owner(self) -> str: ...


def can_change(admins: Collection[str], decision: HasOwner, user_id: str | None) -> bool:
    """The owner and the admins may change a record (a stored one or a snapshot of it)."""
    return bool(user_id) and (user_id == decision.owner or user_id in admins)


def require_change(admins: Collection[str], decision: Decision, user_id: str | None) -> None:
    if not can_change(admins, decision, user_id):
        raise NotAllowed(decision.id, decision.owner)


def in_force() -> ColumnElement[bool]:
    """Records still steering work: open or reviewed, and not stopped at their last review."""
    return Decision.in_force.is_(True)


def is_in_force(decision: Decision) -> bool:
    return decision_in_force(decision.status, decision.last_outcome)


def add_event(
    session: Session, decision: Decision, kind: EventKind, actor: str, now: datetime, **detail: Any
) -> DecisionEvent:
    event = DecisionEvent(decision_id=decision.id, kind=kind, actor=actor, at=now, detail=detail)
    session.add(event)
    decision.updated_at = now
    bump_version(session, DECISIONS)
    return event


def _existing_accounts(session: Session, ids: Iterable[int]) -> list[int]:
    wanted = list(dict.fromkeys(ids))
    if not wanted:
        return []
    found = set(session.scalars(select(Account.id).where(Account.id.in_(wanted))))
    return [i for i in wanted if i in found]


def record_fields(data: DecisionInput) -> dict[str, Any]:
    """The Decision columns an input fills (options and metrics as JSON, blank option rows dropped)."""
    assert data.horizon is not None and data.review_date is not None and data.owner
    return {
        "title": data.title.strip(),
        "objective": data.objective,
        "scope": data.scope,
        "horizon": data.horizon,
        "owner": data.owner,
        "options": [o.model_dump() for o in data.filled_options()],
        "evidence": data.evidence,
        "assumptions": data.assumptions,
        "open_questions": data.open_questions,
        "success_metrics": [m.model_dump() for m in data.success_metrics],
        "key_assumptions": data.key_assumptions,
        "scenario_ranges": data.scenario_ranges,
        "tradeoff_summary": data.tradeoff_summary,
        "risks": data.risks,
        "criteria": data.criteria,
        "chosen_option": data.chosen_option,
        "rationale": data.rationale,
        "review_date": data.review_date,
        "cadence_initial": data.cadence_initial,
        "cadence_operating": data.cadence_operating,
        "cadence_post": data.cadence_post,
        "reversal_signal": data.reversal_signal,
        "stop_conditions": data.stop_conditions,
    }


def replace_links(session: Session, decision: Decision, data: DecisionInput) -> None:
    """Set the accounts, tiers and review triggers of a record to what `data` says."""
    session.execute(delete(DecisionAccount).where(DecisionAccount.decision_id == decision.id))
    session.execute(delete(DecisionTier).where(DecisionTier.decision_id == decision.id))
    session.execute(delete(ReviewTrigger).where(ReviewTrigger.decision_id == decision.id))
    accounts = _existing_accounts(session, data.account_ids)
    session.add_all(DecisionAccount(decision_id=decision.id, account_id=a) for a in accounts)
    session.add_all(DecisionTier(decision_id=decision.id, tier=t) for t in dict.fromkeys(data.tiers))
    trigger_accounts = set(_existing_accounts(session, [t.scope_account_id or 0 for t in data.triggers]))
    for row in data.complete_triggers():
        if row.scope_account_id is not None and row.scope_account_id not in trigger_accounts:
            continue  # the account was deleted while the modal was open
        session.add(
            ReviewTrigger(
                decision_id=decision.id,
                metric=row.metric,
                scope_tier=row.scope_tier,
                scope_account_id=row.scope_account_id,
                comparison=row.comparison,
                threshold=row.threshold,
                window_days=data.window_days,
                fired=False,
            )
        )


def create_decision(
    session: Session,
    data: DecisionInput,
    *,
    actor: str,
    now: datetime,
    today: date,
    source_channel: str | None = None,
    supersedes_id: int | None = None,
) -> Decision:
    errors = validate(data, today)
    if errors:
        raise InvalidDecision(errors)
    decision = Decision(
        **record_fields(data),
        status=DecisionStatus.OPEN,
        supersedes_id=supersedes_id,
        source_channel=source_channel,
        created_by=actor,
        created_at=now,
        updated_at=now,
    )
    session.add(decision)
    session.flush()
    replace_links(session, decision, data)
    add_event(
        session,
        decision,
        EventKind.CREATED,
        actor,
        now,
        chosen_option=decision.chosen_option,
        review_date=decision.review_date.isoformat(),
        supersedes=format_short_id(supersedes_id) if supersedes_id else None,
    )
    return decision


def get_decision(session: Session, decision_id: int) -> Decision | None:
    return session.get(Decision, decision_id)


def input_of(session: Session, decision: Decision) -> DecisionInput:
    """The record as modal input again (to edit it, or to prefill the decision that supersedes it)."""
    accounts = list(
        session.scalars(
            select(DecisionAccount.account_id)
            .where(DecisionAccount.decision_id == decision.id)
            .order_by(DecisionAccount.account_id)
        )
    )
    tiers = list(
        session.scalars(
            select(DecisionTier.tier)
            .where(DecisionTier.decision_id == decision.id)
            .order_by(DecisionTier.tier)
        )
    )
    triggers = list(
        session.scalars(
            select(ReviewTrigger).where(ReviewTrigger.decision_id == decision.id).order_by(ReviewTrigger.id)
        )
    )
    options = {o["key"]: o for o in decision.options}
    return DecisionInput.model_validate(
        {
            **{k: getattr(decision, k) for k in record_fields_names()},
            "options": [options.get(k, {"key": k}) for k in ("A", "B", "C")],
            "tiers": tiers,
            "account_ids": accounts,
            "triggers": [
                {
                    "metric": t.metric,
                    "scope_tier": t.scope_tier,
                    "scope_account_id": t.scope_account_id,
                    "comparison": t.comparison,
                    "threshold": t.threshold,
                }
                for t in triggers
            ],
            "window_days": triggers[0].window_days if triggers else 30,
        }
    )


def record_fields_names() -> tuple[str, ...]:
    return tuple(k for k in DecisionInput.model_fields if k in Decision.__table__.columns and k != "options")


def history(session: Session, decision_id: int) -> list[DecisionEvent]:
    return list(
        session.scalars(
            select(DecisionEvent).where(DecisionEvent.decision_id == decision_id).order_by(DecisionEvent.id)
        )
    )
