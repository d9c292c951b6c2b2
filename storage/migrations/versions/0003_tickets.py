"""Tickets: helpdesk tickets with their derived SLA outcomes, and ticket status events.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

from storage.models.base import UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_STATUSES = "status IN ('new', 'open', 'pending', 'on-hold', 'solved', 'closed')"
_OPEN = "status IN ('new', 'open', 'pending', 'on-hold')"  # the partial index of open tickets


def upgrade() -> None:
    op.create_table(
        "tickets",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("severity", sa.String(8), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("subject", sa.String(500), nullable=False),
        sa.Column("assignee", sa.String(255)),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("first_response_at", UTCDateTime()),
        sa.Column("solved_at", UTCDateTime()),
        sa.Column("handle_minutes", sa.Integer(), nullable=False),
        sa.Column("agent_replies", sa.Integer(), nullable=False),
        sa.Column("csat", sa.Integer()),
        sa.Column("sla_tier", sa.String(64), nullable=False),
        sa.Column("first_response_minutes", sa.Integer()),
        sa.Column("resolution_minutes", sa.Integer()),
        sa.Column("first_response_met", sa.Boolean()),
        sa.Column("resolution_met", sa.Boolean()),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_tickets"),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name="fk_tickets_account_id_accounts", ondelete="CASCADE"
        ),
        sa.CheckConstraint("severity IN ('sev1', 'sev2', 'sev3', 'sev4')", name=op.f("ck_tickets_severity")),
        sa.CheckConstraint(_STATUSES, name=op.f("ck_tickets_status")),
        sa.CheckConstraint("csat IS NULL OR csat BETWEEN 1 AND 5", name=op.f("ck_tickets_csat")),
        sa.CheckConstraint("handle_minutes >= 0 AND agent_replies >= 0", name=op.f("ck_tickets_counts")),
    )
    op.create_index(
        "ix_tickets_open", "tickets", ["status"], sqlite_where=sa.text(_OPEN), postgresql_where=sa.text(_OPEN)
    )
    op.create_index(
        "ix_tickets_created_at_sla",
        "tickets",
        ["created_at", "sla_tier", "first_response_met", "resolution_met"],
    )
    op.create_index("ix_tickets_account_id_created_at", "tickets", ["account_id", "created_at"])
    op.create_table(
        "ticket_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.String(64), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_ticket_events"),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name="fk_ticket_events_ticket_id_tickets", ondelete="CASCADE"
        ),
        sa.CheckConstraint(_STATUSES, name=op.f("ck_ticket_events_status")),
    )
    op.create_index("ix_ticket_events_ticket_id_at", "ticket_events", ["ticket_id", "at"], unique=True)


def downgrade() -> None:
    op.drop_table("ticket_events")
    op.drop_table("tickets")
