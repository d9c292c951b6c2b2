"""Accounts, their manual tier overrides and the history of every tier change."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, UTCDateTime, utcnow


class Account(Base):
    __tablename__ = "accounts"
    # One account per record of a live source (bot/sync); CSV-imported accounts have no source.
    __table_args__ = (Index("ix_accounts_source_source_id", "source", "source_id", unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    external_id: Mapped[str | None] = mapped_column(String(128), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    # Normalised name (case-folded, accents stripped) used for exact matches and re-import by name.
    name_key: Mapped[str] = mapped_column(String(255), index=True)
    domain: Mapped[str | None] = mapped_column(String(255), index=True)
    acv: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    usage_criticality: Mapped[str] = mapped_column(String(16), default="medium")
    strategic: Mapped[bool] = mapped_column(Boolean, default=False)
    health_score: Mapped[int | None] = mapped_column(Integer)
    owner: Mapped[str | None] = mapped_column(String(255))
    region: Mapped[str | None] = mapped_column(String(64))
    # The account's own Slack channel (Enterprise "dedicated Slack channel"): alerts go there first.
    slack_channel: Mapped[str | None] = mapped_column(String(64))
    # The tier as last evaluated; kept so lists, digests and history need no policy run per row.
    tier: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # Where the account's data comes from (bot/sync): "hubspot" or "salesforce", the record id there,
    # and when the record last changed there (shown on /tier).
    source: Mapped[str | None] = mapped_column(String(32))
    source_id: Mapped[str | None] = mapped_column(String(128))
    source_updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When that record was archived or deleted there; the account and its decisions stay (shown on /tier).
    source_removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class TierOverride(Base):
    __tablename__ = "tier_overrides"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    tier: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text)
    set_by: Mapped[str] = mapped_column(String(255))
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    cleared_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cleared_by: Mapped[str | None] = mapped_column(String(255))


class TierChange(Base):
    __tablename__ = "tier_history"
    # ix_tier_history_at: tier-change alerts read recent entries of every account (bot/tierchanges).
    __table_args__ = (
        Index("ix_tier_history_account_at", "account_id", "at"),
        Index("ix_tier_history_at", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    from_tier: Mapped[str | None] = mapped_column(String(64))
    to_tier: Mapped[str] = mapped_column(String(64))
    cause: Mapped[str] = mapped_column(String(32))  # import | policy | override | override-cleared
    detail: Mapped[str] = mapped_column(Text, default="")
    actor: Mapped[str] = mapped_column(String(255))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # What made the difference, as bot.accounts.delta.Delta dicts; NULL on rows written before
    # migration 0009 and when no changed input explains the move (views then show `detail`).
    delta: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON(none_as_null=True))


class TierRuleBasis(Base):
    """The tier rules (thresholds, lift, floors) `tiering.recompute` last applied: what the next
    policy change is compared against ("Enterprise threshold $25,000 → $30,000"). One row."""

    __tablename__ = "tier_rule_basis"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    rules: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
