"""Helpdesk tickets and their status history, as imported from CSV.

Besides what the helpdesk exports, each ticket row carries the SLA outcomes that no longer depend on
"now" (first response given or ticket solved: met or missed, and the wall-clock minutes it took). They
are computed when the row is written, with the account's tier at that moment (`sla_tier`), so period
metrics over a million tickets are plain SQL aggregates; only still-open tickets, whose clocks depend on
the current time, are evaluated in Python, and those are found through the partial index `ix_tickets_open`.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ColumnElement,
    ForeignKey,
    Index,
    Integer,
    String,
    literal_column,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, UTCDateTime, utcnow

SEVERITIES = ("sev1", "sev2", "sev3", "sev4")
STATUSES = ("new", "open", "pending", "on-hold", "solved", "closed")
OPEN_STATUSES = ("new", "open", "pending", "on-hold")
SOLVED_STATUSES = ("solved", "closed")
SUBJECT_LENGTH = 500
CSAT_MIN, CSAT_MAX = 1, 5  # CSAT is the 1-5 satisfaction rating; percentages are not accepted


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


# The covering index of period queries, in order: the digest's attainment reads the first four.
REPORT_COLUMNS = (
    "created_at", "sla_tier", "first_response_met", "resolution_met", "severity", "status", "agent_replies",
    "first_response_minutes", "resolution_minutes", "csat", "handle_minutes", "account_id",
)  # fmt: skip

# SQLite only: the report's grouping order, UTC day (`bot.sla.sqltime.utc_day`), tier, severity; created_at
# itself is a column so that SQLite 3.40 counts the index as covering.
REPORT_DAY = "substr(created_at, 1, 10)"
REPORT_DAY_COLUMNS = (
    "sla_tier", "severity", "created_at", "status", "agent_replies", "first_response_minutes",
    "resolution_minutes", "first_response_met", "resolution_met", "csat", "handle_minutes",
)  # fmt: skip

# The predicate of the partial index on open tickets. Queries must spell it the same way (literal values,
# not bound parameters) for SQLite and PostgreSQL to prove the index applies: see `is_open`.
OPEN_PREDICATE = _in("status", OPEN_STATUSES)


class Ticket(Base):
    __tablename__ = "tickets"
    __table_args__ = (
        CheckConstraint(_in("severity", SEVERITIES), name="severity"),
        CheckConstraint(_in("status", STATUSES), name="status"),
        CheckConstraint(f"csat IS NULL OR csat BETWEEN {CSAT_MIN} AND {CSAT_MAX}", name="csat"),
        CheckConstraint("handle_minutes >= 0 AND agent_replies >= 0", name="counts"),
        # Leading account_id also serves the foreign key; "tickets of account X in a period" is a range scan.
        Index("ix_tickets_account_id_created_at", "account_id", "created_at"),
        # Period queries range over created_at; carrying the served tier, the stored outcomes and every
        # column the per-tier report sums makes both per-tier SLA attainment (the digest's) and the report
        # index-only scans (migration 0010: over 1M tickets the report's rows came from the table at
        # ~12x the cost of reading them from the index).
        Index("ix_tickets_created_at_report", *REPORT_COLUMNS),
        # SQLite has no hash aggregation: grouping half a million rows by (UTC day, tier, severity) sorted
        # them all in a temporary B-tree (1.2 s of CPU for a quarter report over 1M tickets). This index
        # holds them in that order, so the report's GROUP BY streams (0.43 s). PostgreSQL groups by itself.
        Index("ix_tickets_day_report", text(REPORT_DAY), *REPORT_DAY_COLUMNS).ddl_if(dialect="sqlite"),
        # Open tickets are a few percent of all. A plain status index does not help SQLite, whose planner
        # assumes the four open statuses are 4/6 of the table and scans accounts instead; a partial index
        # holds only open tickets, so its size is the planner's estimate and the digest reads nothing else.
        Index(
            "ix_tickets_open",
            "status",
            sqlite_where=text(OPEN_PREDICATE),
            postgresql_where=text(OPEN_PREDICATE),
        ),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # the helpdesk's ticket id
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    severity: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(16))
    subject: Mapped[str] = mapped_column(String(SUBJECT_LENGTH), default="")
    assignee: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    first_response_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    solved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    handle_minutes: Mapped[int] = mapped_column(Integer, default=0)
    agent_replies: Mapped[int] = mapped_column(Integer, default=0)
    csat: Mapped[int | None] = mapped_column(Integer)

    # Derived when the row is written (see the module docstring).
    sla_tier: Mapped[str] = mapped_column(String(64))
    first_response_minutes: Mapped[int | None] = mapped_column(Integer)  # wall clock, created -> response
    resolution_minutes: Mapped[int | None] = mapped_column(Integer)  # wall clock, created -> solved
    first_response_met: Mapped[bool | None] = mapped_column(Boolean)  # None while undecided
    resolution_met: Mapped[bool | None] = mapped_column(Boolean)

    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


def is_open() -> ColumnElement[bool]:
    """`tickets.status IN ('new', ...)` with inline literals, so the partial index `ix_tickets_open` is
    usable (a bound-parameter list cannot be matched to the index predicate)."""
    return Ticket.status.in_([literal_column(repr(status)) for status in OPEN_STATUSES])


class TicketEvent(Base):
    """A status change; the history pauses and resumes the resolution clock."""

    __tablename__ = "ticket_events"
    __table_args__ = (
        CheckConstraint(_in("status", STATUSES), name="status"),
        # Unique so that re-importing the same history is idempotent (one status per ticket and instant).
        Index("ix_ticket_events_ticket_id_at", "ticket_id", "at", unique=True),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[str] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16))
