"""Scenario results kept as data: a run shown in Slack (so its buttons can attach it), and the scenarios
attached to a decision (its draft while it is being written, the record once committed).

A run's inputs and results are the JSON `tierbot scenario --format json` prints (bot.scenarios.schema);
an attachment copies them, so the record keeps the numbers it was decided on after the run is pruned.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, UTCDateTime, utcnow

KINDS = ("scenario", "sweep")


def _kind_check() -> str:
    return "kind IN (" + ", ".join(repr(k) for k in KINDS) + ")"


class ScenarioRun(Base):
    """One result as shown in Slack. A button value holds 2,000 characters and a result's JSON is larger,
    so the buttons carry this row's id; unattached rows are pruned after a week (RUN_TTL)."""

    __tablename__ = "scenario_runs"
    __table_args__ = (CheckConstraint(_kind_check(), name="kind"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # random: a button value is not a handle
    kind: Mapped[str] = mapped_column(String(16))
    run_by: Mapped[str] = mapped_column(String(64))
    as_of: Mapped[datetime] = mapped_column(UTCDateTime)  # the data's "now"
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    command: Mapped[str] = mapped_column(Text)  # re-runnable arguments (`premium=15000 days=7`)
    inputs: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    results: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Numbers compared at review time ({"differentiation": 1.9, ...}) and plain-text lines for records.
    figures: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class DecisionScenario(Base):
    """A scenario attached to a decision: to its draft until the draft is committed, then to the record."""

    __tablename__ = "decision_scenarios"
    __table_args__ = (
        CheckConstraint(_kind_check(), name="kind"),
        CheckConstraint("(decision_id IS NULL) <> (draft_id IS NULL)", name="one_owner"),
        Index("ix_decision_scenarios_decision_id_id", "decision_id", "id"),
        Index("ix_decision_scenarios_draft_id", "draft_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    decision_id: Mapped[int | None] = mapped_column(ForeignKey("decisions.id", ondelete="CASCADE"))
    # A swept (abandoned) draft takes its attachments with it; a committed one hands them to the record.
    draft_id: Mapped[str | None] = mapped_column(ForeignKey("decision_drafts.id", ondelete="CASCADE"))
    run_id: Mapped[str | None] = mapped_column(String(32))  # where it came from (no FK: runs are pruned)
    kind: Mapped[str] = mapped_column(String(16))
    as_of: Mapped[datetime] = mapped_column(UTCDateTime)  # the data the numbers were computed on
    attached_by: Mapped[str] = mapped_column(String(64))
    attached_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    command: Mapped[str] = mapped_column(Text)
    inputs: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    results: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    figures: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
