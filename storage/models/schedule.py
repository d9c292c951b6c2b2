"""Schedule tables: digest subscriptions, the delivery ledger, acknowledgements, snoozes, leases.

The ledger (`deliveries`) is what makes scheduled posting exactly-once across restarts, misfire
catch-ups and several scheduler processes: one row per (job, target, period), claimed by inserting it.
APScheduler's own job store is in memory and never shared; it only decides *when* to look.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, UTCDateTime, utcnow

# Delivery statuses. `sending` carries a lease (claimed_until): a row left `sending` by a process that
# died mid-post is taken over by the next leader once the lease has run out.
PENDING = "pending"
SENDING = "sending"
SENT = "sent"
GIVEN_UP = "given_up"
SKIPPED = "skipped"
DELIVERY_STATUSES = (PENDING, SENDING, SENT, GIVEN_UP, SKIPPED)
FINAL_STATUSES = (SENT, GIVEN_UP, SKIPPED)


class Delivery(Base):
    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("job", "target", "period", name="uq_deliveries_job_target_period"),
        # The retry pass looks for due pending rows and expired `sending` leases.
        Index("ix_deliveries_status_next_attempt_at", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(128))  # a channel id, or "dm:<user id>"
    period: Mapped[str] = mapped_column(String(191))
    status: Mapped[str] = mapped_column(String(16), default=PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(128))
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # What to post, rendered once when the row was claimed, so every retry posts the same message.
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    channel: Mapped[str | None] = mapped_column(String(64))  # where it landed (a DM's D... id)
    message_ts: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class DigestSubscription(Base):
    """One digest schedule per channel (subscribing again replaces it)."""

    __tablename__ = "digest_subscriptions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(64), unique=True)
    tiers: Mapped[list[str]] = mapped_column(JSON, default=list)  # empty: every tier
    cadence: Mapped[str] = mapped_column(String(8))  # hourly | daily | weekly
    at_time: Mapped[str | None] = mapped_column(String(5))  # "09:00" local; None for hourly
    weekday: Mapped[int | None] = mapped_column(Integer)  # 0 = Monday, weekly only
    tz: Mapped[str] = mapped_column(String(64))
    skip_holidays: Mapped[str | None] = mapped_column(String(8))  # country code for `holidays`
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Up to when periods were looked at: a period after this and older than the grace is recorded
    # as skipped (downtime), never silently dropped.
    checked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_snapshot: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # Set when the subscriber was told the channel cannot be posted to; cleared by the next success.
    problem_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class BreachAck(Base):
    __tablename__ = "breach_acks"

    ticket_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    acked_by: Mapped[str | None] = mapped_column(String(64))
    acked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    snoozed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    snoozed_by: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class ReviewSnooze(Base):
    __tablename__ = "review_snoozes"

    decision_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    until: Mapped[datetime] = mapped_column(UTCDateTime)
    by: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class SchedulerLease(Base):
    """Leader election that works on SQLite and PostgreSQL: the holder renews `expires_at` every tick."""

    __tablename__ = "scheduler_leases"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(128))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    acquired_at: Mapped[datetime] = mapped_column(UTCDateTime)
