"""Weekly per-tier report subscriptions (`/digest subscribe #ch weekly-report mon 09:00`).

Their own table rather than a digest cadence: a channel keeps its SLA digest (one per channel) and can
also get the weekly report.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, UTCDateTime, utcnow


class ReportSubscription(Base):
    __tablename__ = "report_subscriptions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(64), unique=True)
    weekday: Mapped[int] = mapped_column(Integer)  # 0 = Monday
    at_time: Mapped[str] = mapped_column(String(5))  # "09:00" local
    tz: Mapped[str] = mapped_column(String(64))
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Weeks up to here were dealt with (posted or skipped); a subscription owes nothing before it.
    checked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
