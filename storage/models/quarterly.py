"""Quarterly account reviews: the next one due per account, and every review held.

`quarterly_review_schedule` has one row per account whose tier has the entitlement (made by the
`quarterly-reviews` job); `due_at` moves a quarter past each review held. `quarterly_reviews` keeps
what was held, by whom, with its note.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, UTCDateTime, utcnow


class ReviewSchedule(Base):
    __tablename__ = "quarterly_review_schedule"
    # The job and /tier reviews ask "due before X", oldest first.
    __table_args__ = (Index("ix_quarterly_review_schedule_due_at", "due_at"),)

    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_held_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class HeldReview(Base):
    __tablename__ = "quarterly_reviews"
    __table_args__ = (Index("ix_quarterly_reviews_account_id_held_at", "account_id", "held_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)  # the due date this review answered
    held_at: Mapped[datetime] = mapped_column(UTCDateTime)
    held_by: Mapped[str] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
