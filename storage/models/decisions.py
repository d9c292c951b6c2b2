"""Decision records: the decision itself, what it touches, its review triggers, history and drafts.

Free text is stored whole (Text): Slack inputs allow 3,000 characters and the record must keep what was
typed; only what a message shows is cut. The scheduler reads `Decision.review_date/status/owner/
source_channel/title` and the `ReviewTrigger` rows, and writes `ReviewTrigger.fired/last_value/
last_evaluated_at`, so those names are part of its contract.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    event,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, UTCDateTime, utcnow


class DecisionStatus(StrEnum):
    """A record's lifecycle state. Defined here, with the schema that checks it, because storage is the
    lowest layer that needs it (CHECK constraints, `in_force`); the domain re-exports it."""

    OPEN = "open"
    REVIEWED = "reviewed"
    REVERSED = "reversed"
    SUPERSEDED = "superseded"


class Outcome(StrEnum):
    CONTINUE = "continue"
    ADAPT = "adapt"
    STOP = "stop"


STATUSES = tuple(DecisionStatus)
OUTCOMES = tuple(Outcome)
# The statuses a record can still be reviewed, reversed, superseded or edited in: the one definition.
ACTIVE_STATUSES = (DecisionStatus.OPEN, DecisionStatus.REVIEWED)
METRICS = (
    "resolution_time",
    "first_response_time",
    "sla_attainment",
    "support_cost_per_account",
    "health_score",
    "severity_mix_share",
)
COMPARISONS = (">", ">=", "<", "<=")


class EventKind(StrEnum):
    """What a history entry records."""

    CREATED = "created"
    REVIEWED = "reviewed"
    REVERSED = "reversed"
    SUPERSEDED = "superseded"
    EDITED = "edited"


EVENT_KINDS = tuple(EventKind)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(str(v)) for v in values)})"


# "in_force = (status IN ('open', 'reviewed') AND (last_outcome IS NULL OR last_outcome <> 'stop'))"
IN_FORCE_SQL = (
    f"in_force = ({_in('status', ACTIVE_STATUSES)} AND "
    f"(last_outcome IS NULL OR last_outcome <> '{Outcome.STOP}'))"
)


class Decision(Base):
    __tablename__ = "decisions"
    __table_args__ = (
        CheckConstraint(_in("status", STATUSES), name="status"),
        CheckConstraint(f"last_outcome IS NULL OR {_in('last_outcome', OUTCOMES)}", name="last_outcome"),
        # A writer that bypasses the ORM (and so _derive_in_force) fails here instead of skewing lists.
        CheckConstraint(IN_FORCE_SQL, name="in_force"),
        Index("ix_decisions_status_review_date", "status", "review_date"),
        # Lists, the App Home and "due for review" walk this index in review-date order, no sort, no row reads.
        Index("ix_decisions_in_force_review_date", "in_force", "review_date"),
    )

    # Column order matters on SQLite: a row's tail spills into overflow pages, so the short columns that
    # lists and the /tier card read come first and the long free texts last.
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    status: Mapped[str] = mapped_column(String(16), default=DecisionStatus.OPEN.value)
    # Derived from status and last_outcome on every ORM write (see _derive_in_force): open or reviewed,
    # and not stopped at the last review. Kept as a column so it can lead an index.
    in_force: Mapped[bool] = mapped_column(Boolean, default=True)
    owner: Mapped[str] = mapped_column(String(64))
    review_date: Mapped[date] = mapped_column(Date)
    horizon: Mapped[date] = mapped_column(Date)
    chosen_option: Mapped[str] = mapped_column(String(8))
    last_outcome: Mapped[str | None] = mapped_column(String(16))
    last_reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("decisions.id", ondelete="SET NULL"))
    superseded_by_id: Mapped[int | None] = mapped_column(ForeignKey("decisions.id", ondelete="SET NULL"))
    # Where it was started and where its record was posted (so later changes can update that message).
    source_channel: Mapped[str | None] = mapped_column(String(64))
    message_channel: Mapped[str | None] = mapped_column(String(64))
    message_ts: Mapped[str | None] = mapped_column(String(32))
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # Frame
    title: Mapped[str] = mapped_column(Text)
    objective: Mapped[str] = mapped_column(Text, default="")
    scope: Mapped[str] = mapped_column(Text, default="")
    # Compare
    options: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    evidence: Mapped[str] = mapped_column(Text, default="")
    assumptions: Mapped[str] = mapped_column(Text, default="")
    open_questions: Mapped[str] = mapped_column(Text, default="")
    success_metrics: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    key_assumptions: Mapped[str] = mapped_column(Text, default="")
    scenario_ranges: Mapped[str] = mapped_column(Text, default="")
    tradeoff_summary: Mapped[str] = mapped_column(Text, default="")
    risks: Mapped[str] = mapped_column(Text, default="")
    criteria: Mapped[str] = mapped_column(Text, default="")
    # Commit
    rationale: Mapped[str] = mapped_column(Text, default="")
    cadence_initial: Mapped[str] = mapped_column(Text, default="")
    cadence_operating: Mapped[str] = mapped_column(Text, default="")
    cadence_post: Mapped[str] = mapped_column(Text, default="")
    reversal_signal: Mapped[str] = mapped_column(Text, default="")
    stop_conditions: Mapped[str] = mapped_column(Text, default="")


def decision_in_force(status: str | None, last_outcome: str | None) -> bool:
    return status in ACTIVE_STATUSES and last_outcome != Outcome.STOP


@event.listens_for(Decision, "before_insert")
@event.listens_for(Decision, "before_update")
def _derive_in_force(_mapper: object, _conn: object, target: Decision) -> None:
    target.in_force = decision_in_force(target.status or DecisionStatus.OPEN, target.last_outcome)


class DecisionAccount(Base):
    __tablename__ = "decision_accounts"
    # (account_id, decision_id) answers "newest decisions touching this account" from the index alone.
    __table_args__ = (Index("ix_decision_accounts_account_id_decision_id", "account_id", "decision_id"),)

    decision_id: Mapped[int] = mapped_column(ForeignKey("decisions.id", ondelete="CASCADE"), primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True)


class DecisionTier(Base):
    __tablename__ = "decision_tiers"
    __table_args__ = (Index("ix_decision_tiers_tier_decision_id", "tier", "decision_id"),)

    decision_id: Mapped[int] = mapped_column(ForeignKey("decisions.id", ondelete="CASCADE"), primary_key=True)
    tier: Mapped[str] = mapped_column(String(64), primary_key=True)


class ReviewTrigger(Base):
    """'Enterprise median resolution time > 8 h over 30 days': a structured signal to review early."""

    __tablename__ = "review_triggers"
    __table_args__ = (
        CheckConstraint(_in("metric", METRICS), name="metric"),
        CheckConstraint(_in("comparison", COMPARISONS), name="comparison"),
        CheckConstraint("(scope_tier IS NULL) <> (scope_account_id IS NULL)", name="one_scope"),
        CheckConstraint("window_days > 0", name="window_days"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    decision_id: Mapped[int] = mapped_column(ForeignKey("decisions.id", ondelete="CASCADE"), index=True)
    metric: Mapped[str] = mapped_column(String(32))
    scope_tier: Mapped[str | None] = mapped_column(String(64))
    scope_account_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    comparison: Mapped[str] = mapped_column(String(2))
    threshold: Mapped[float] = mapped_column(Float)
    window_days: Mapped[int] = mapped_column(Integer, default=30)
    # True while the metric is past the threshold, so the scheduler posts once per crossing.
    fired: Mapped[bool] = mapped_column(Boolean, default=False)
    last_value: Mapped[float | None] = mapped_column(Float)
    last_evaluated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class DecisionEvent(Base):
    """Append-only history: rows are inserted, never updated or deleted (enforced below)."""

    __tablename__ = "decision_events"
    __table_args__ = (
        CheckConstraint(_in("kind", EVENT_KINDS), name="kind"),
        Index("ix_decision_events_decision_id_id", "decision_id", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    decision_id: Mapped[int] = mapped_column(ForeignKey("decisions.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class HistoryIsAppendOnly(RuntimeError):
    pass


@event.listens_for(DecisionEvent, "before_update")
def _refuse_update(_mapper: object, _conn: object, target: DecisionEvent) -> None:
    raise HistoryIsAppendOnly(f"decision history event {target.id} cannot be changed")


@event.listens_for(DecisionEvent, "before_delete")
def _refuse_delete(_mapper: object, _conn: object, target: DecisionEvent) -> None:
    raise HistoryIsAppendOnly(f"decision history event {target.id} cannot be deleted")


class DecisionDraft(Base):
    """A modal in progress: its steps outgrow private_metadata (3,000 chars) and must survive a restart."""

    __tablename__ = "decision_drafts"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(64))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Indexed so stale drafts can be pruned without a scan.
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, index=True)
