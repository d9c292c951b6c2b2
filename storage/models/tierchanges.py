"""Tier-change alerts: what was last reported per account, and its quiet window (bot/tierchanges)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, UTCDateTime


class TierChangeReport(Base):
    """One row per account whose move was reported: the tier the channel last read, and until when
    further moves are held (the quiet window that report opened)."""

    __tablename__ = "tier_change_reports"

    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    reported_tier: Mapped[str] = mapped_column(String(64))
    moved_from: Mapped[str | None] = mapped_column(String(64))  # what the last report said it left
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime)
    quiet_until: Mapped[datetime] = mapped_column(UTCDateTime)
    last_change_id: Mapped[int] = mapped_column(Integer)  # history entries up to this one are accounted for
