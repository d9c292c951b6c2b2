"""Small bookkeeping tables: data versions for cache invalidation, inbound Slack delivery dedupe."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, UTCDateTime, utcnow


class DataVersion(Base):
    """A counter per data set, bumped on every write, so each process can tell its caches are stale."""

    __tablename__ = "data_versions"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=0)


class InboundDelivery(Base):
    """Slack requests whose side effect already happened (a retry of one of these is acked, not redone)."""

    __tablename__ = "inbound_deliveries"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
