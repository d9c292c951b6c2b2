"""A record read out of the database in one go, detached from the session, for views and exports.
(`RecordLine`, a list row, is built by the list query in `store` and re-exported here.)"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.decisions.listing import RecordLine
from bot.decisions.record import METRIC_LABELS, METRIC_UNITS, DecisionInput, format_short_id
from bot.decisions.scenarios import AttachedScenario, attached
from bot.decisions.store import history, input_of
from storage.models import Account
from storage.models.decisions import ACTIVE_STATUSES, Decision, ReviewTrigger, decision_in_force

__all__ = ["EventView", "RecordLine", "RecordSnapshot", "TriggerView", "load_snapshot", "snapshot_of"]


@dataclass(frozen=True)
class TriggerView:
    metric: str
    scope_tier: str | None
    scope_account_id: int | None
    scope_account_name: str | None
    comparison: str
    threshold: float
    window_days: int
    fired: bool
    last_value: float | None

    def describe(self, tier_name: str | None = None) -> str:
        """'Enterprise resolution time > 8 h (30-day window)'."""
        scope = self.scope_account_name or tier_name or self.scope_tier or "?"
        unit = METRIC_UNITS.get(self.metric, "")
        value = f"{self.threshold:g}"
        amount = f"${value}" if unit == "$" else f"{value}{unit}" if unit == "%" else f"{value} {unit}"
        label = METRIC_LABELS.get(self.metric, self.metric).lower()
        return f"{scope} {label} {self.comparison} {amount} ({self.window_days}-day window)"


@dataclass(frozen=True)
class EventView:
    kind: str
    actor: str
    at: datetime
    detail: dict[str, Any]


@dataclass(frozen=True)
class RecordSnapshot:
    id: int
    data: DecisionInput
    status: str
    last_outcome: str | None
    last_reviewed_at: datetime | None
    supersedes_id: int | None
    superseded_by_id: int | None
    source_channel: str | None
    message_channel: str | None
    message_ts: str | None
    created_by: str
    created_at: datetime
    updated_at: datetime
    accounts: tuple[tuple[int, str], ...]
    triggers: tuple[TriggerView, ...]
    events: tuple[EventView, ...]
    scenarios: tuple[AttachedScenario, ...] = ()  # attached as evidence, oldest first

    @property
    def short_id(self) -> str:
        return format_short_id(self.id)

    @property
    def owner(self) -> str:
        return self.data.owner or ""

    @property
    def in_force(self) -> bool:
        return decision_in_force(self.status, self.last_outcome)

    @property
    def is_active(self) -> bool:
        """Open or reviewed: it can still be reviewed, reversed, superseded or edited."""
        return self.status in ACTIVE_STATUSES

    def is_due(self, today: date) -> bool:
        return self.in_force and self.data.review_date is not None and self.data.review_date <= today

    def account_name(self, account_id: int) -> str:
        return next((n for i, n in self.accounts if i == account_id), f"account {account_id}")


def _names(session: Session, account_ids: list[int]) -> dict[int, str]:
    if not account_ids:
        return {}
    rows = session.execute(select(Account.id, Account.name).where(Account.id.in_(account_ids)))
    return {row[0]: row[1] for row in rows}


def snapshot_of(session: Session, decision: Decision) -> RecordSnapshot:
    data = input_of(session, decision)
    names = _names(session, data.account_ids)
    trigger_rows = session.scalars(
        select(ReviewTrigger).where(ReviewTrigger.decision_id == decision.id).order_by(ReviewTrigger.id)
    ).all()
    scope_ids = [t.scope_account_id for t in trigger_rows if t.scope_account_id is not None]
    missing = [i for i in scope_ids if i not in names]
    if missing:
        names.update(_names(session, missing))
    triggers = tuple(
        TriggerView(
            metric=t.metric,
            scope_tier=t.scope_tier,
            scope_account_id=t.scope_account_id,
            scope_account_name=names.get(t.scope_account_id) if t.scope_account_id else None,
            comparison=t.comparison,
            threshold=t.threshold,
            window_days=t.window_days,
            fired=t.fired,
            last_value=t.last_value,
        )
        for t in trigger_rows
    )
    events = tuple(
        EventView(e.kind, e.actor, e.at, dict(e.detail or {})) for e in history(session, decision.id)
    )
    return RecordSnapshot(
        id=decision.id,
        data=data,
        status=decision.status,
        last_outcome=decision.last_outcome,
        last_reviewed_at=decision.last_reviewed_at,
        supersedes_id=decision.supersedes_id,
        superseded_by_id=decision.superseded_by_id,
        source_channel=decision.source_channel,
        message_channel=decision.message_channel,
        message_ts=decision.message_ts,
        created_by=decision.created_by,
        created_at=decision.created_at,
        updated_at=decision.updated_at,
        accounts=tuple((i, names[i]) for i in data.account_ids if i in names),
        triggers=triggers,
        events=events,
        scenarios=attached(session, decision.id),
    )


def load_snapshot(session: Session, decision_id: int) -> RecordSnapshot | None:
    decision = session.get(Decision, decision_id)
    return snapshot_of(session, decision) if decision is not None else None
