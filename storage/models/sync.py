"""Live data from the CRM and the helpdesk: per-source sync state, rejected records, links, pushes.

A source is one of "hubspot", "salesforce", "zendesk" (tickets) and "zendesk-orgs" (organizations);
pushes name their target the same way ("zendesk", "hubspot", "salesforce").
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, UTCDateTime, utcnow


class SyncState(Base):
    """One row per source: where the next run starts, how the last one went, and who runs it now."""

    __tablename__ = "sync_state"

    source: Mapped[str] = mapped_column(String(32), primary_key=True)
    # Opaque to storage: each client's own resume point (a high-water mark, a cursor), as JSON text.
    cursor: Mapped[str | None] = mapped_column(Text)
    last_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_records: Mapped[int] = mapped_column(Integer, default=0)
    last_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    # The last run's counts (created, updated, unchanged, rejected, tier_changes).
    last_stats: Mapped[dict[str, int] | None] = mapped_column(JSON)
    # The lease that keeps two runs of one source apart (like the scheduler's leader lease).
    lease_holder: Mapped[str | None] = mapped_column(String(128))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Marks besides the cursor, each the client's or the service's own: the Salesforce delete log's
    # high-water mark ("deleted_through"), when the HubSpot archive list was last read ("removed_read_at").
    marks: Mapped[dict[str, str] | None] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    @property
    def records_per_second(self) -> float:
        return self.last_records / self.last_seconds if self.last_seconds > 0 else 0.0


class SyncReject(Base):
    """A record a sync could not apply; only the last REJECTS_KEPT per source are kept."""

    __tablename__ = "sync_rejects"
    __table_args__ = (Index("ix_sync_rejects_source_id", "source", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(32))
    record_id: Mapped[str] = mapped_column(String(128))
    field: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class SyncLink(Base):
    """A remote record that is not the account's own source record, e.g. a Zendesk organization."""

    __tablename__ = "sync_links"
    __table_args__ = (Index("ix_sync_links_account_id", "account_id"),)

    source: Mapped[str] = mapped_column(String(32), primary_key=True)
    remote_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PushedTier(Base):
    """The tier last written to a target record, so that only changed tiers are written again."""

    __tablename__ = "sync_pushed_tiers"

    target: Mapped[str] = mapped_column(String(32), primary_key=True)
    remote_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    tier: Mapped[str] = mapped_column(String(64))
    pushed_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PushFailure(Base):
    """A record a target refused, with the tier refused: not sent again until the account's tier
    differs from it or RETRY_AFTER passes (bot.sync.push), so one bad record costs one call a day."""

    __tablename__ = "sync_push_failures"

    target: Mapped[str] = mapped_column(String(32), primary_key=True)
    remote_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    tier: Mapped[str] = mapped_column(String(64))
    failed_at: Mapped[datetime] = mapped_column(UTCDateTime)
