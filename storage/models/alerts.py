"""Alert tables (issue 11): the next-due time per (ticket, target), the history of every step and
escalation, acknowledgements per target, and the health-score history.

`alert_due` is what keeps an idle scheduler tick cheap: instead of running every open ticket's clocks
each minute, a tick reads the rows whose `next_step_at` (or `next_escalation_at`) has come, through
an index. The rows are recomputed when tickets change (imports and syncs bump the tickets data
version) and whenever a step is handled.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, UTCDateTime, utcnow

# Outcomes of a step or escalation level in the history.
FIRED, LATE, SKIPPED = "fired", "late", "skipped"
STEP, ESCALATION = "step", "escalation"


class AlertDue(Base):
    __tablename__ = "alert_due"
    __table_args__ = (
        Index("ix_alert_due_next_step_at", "next_step_at"),
        Index("ix_alert_due_next_escalation_at", "next_escalation_at"),
    )

    ticket_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True
    )
    target: Mapped[str] = mapped_column(String(16), primary_key=True)  # first_response | resolution
    next_step_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # None: no step left
    next_escalation_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class AlertEvent(Base):
    """One step or escalation level of one ticket's target: fired, fired late, or skipped (why)."""

    __tablename__ = "alert_history"
    __table_args__ = (
        UniqueConstraint("ticket_id", "target", "kind", "step", name="uq_alert_history_step"),
        Index("ix_alert_history_ticket_id_at", "ticket_id", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[str] = mapped_column(String(64))  # kept after the ticket is gone
    target: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(16))  # step | escalation
    step: Mapped[str] = mapped_column(String(16))  # "-60m", "0", "+30m"; "L1", "L2" for escalations
    escalation_level: Mapped[int | None] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(16))  # fired | late | skipped
    reason: Mapped[str | None] = mapped_column(Text)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    channel: Mapped[str | None] = mapped_column(String(128))


class AlertAck(Base):
    """Acknowledgement (stops the ladder and escalations) or snooze of one ticket's target."""

    __tablename__ = "alert_acks"

    ticket_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    target: Mapped[str] = mapped_column(String(16), primary_key=True)
    acked_by: Mapped[str | None] = mapped_column(String(64))
    acked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    snoozed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    snoozed_by: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class AlertSync(Base):
    """The tickets data version `alert_due` was last rebuilt from."""

    __tablename__ = "alert_sync"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=0)


class HealthChange(Base):
    """An account's health score changed (import or sync): the old value and when it changed."""

    __tablename__ = "health_history"
    __table_args__ = (
        Index("ix_health_history_account_id_at", "account_id", "at"),
        Index("ix_health_history_at", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    old_value: Mapped[int | None] = mapped_column(Integer)
    new_value: Mapped[int | None] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
