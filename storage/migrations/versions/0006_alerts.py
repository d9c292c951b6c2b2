"""Alerts: next-due times per (ticket, target), alert history, acks, health history, accounts.slack_channel.

Revision ID: 0006
Revises: 0004 (0005_sync lands in parallel; the merge chains this one after it)
"""

import sqlalchemy as sa
from alembic import op

from storage.models.base import UTCDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("accounts", sa.Column("slack_channel", sa.String(64)))
    op.create_table(
        "alert_due",
        sa.Column("ticket_id", sa.String(64), nullable=False),
        sa.Column("target", sa.String(16), nullable=False),
        sa.Column("next_step_at", UTCDateTime()),
        sa.Column("next_escalation_at", UTCDateTime()),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name="fk_alert_due_ticket_id_tickets", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("ticket_id", "target", name="pk_alert_due"),
    )
    op.create_index("ix_alert_due_next_step_at", "alert_due", ["next_step_at"])
    op.create_index("ix_alert_due_next_escalation_at", "alert_due", ["next_escalation_at"])
    op.create_table(
        "alert_history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.String(64), nullable=False),
        sa.Column("target", sa.String(16), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("step", sa.String(16), nullable=False),
        sa.Column("escalation_level", sa.Integer()),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text()),
        sa.Column("due_at", UTCDateTime(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("channel", sa.String(128)),
        sa.PrimaryKeyConstraint("id", name="pk_alert_history"),
        sa.UniqueConstraint("ticket_id", "target", "kind", "step", name="uq_alert_history_step"),
    )
    op.create_index("ix_alert_history_ticket_id_at", "alert_history", ["ticket_id", "at"])
    op.create_table(
        "alert_acks",
        sa.Column("ticket_id", sa.String(64), nullable=False),
        sa.Column("target", sa.String(16), nullable=False),
        sa.Column("acked_by", sa.String(64)),
        sa.Column("acked_at", UTCDateTime()),
        sa.Column("snoozed_until", UTCDateTime()),
        sa.Column("snoozed_by", sa.String(64)),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("ticket_id", "target", name="pk_alert_acks"),
    )
    op.create_table(
        "alert_sync",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_alert_sync"),
    )
    op.create_table(
        "health_history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("old_value", sa.Integer()),
        sa.Column("new_value", sa.Integer()),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name="fk_health_history_account_id_accounts", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_health_history"),
    )
    op.create_index("ix_health_history_account_id_at", "health_history", ["account_id", "at"])
    op.create_index("ix_health_history_at", "health_history", ["at"])


def downgrade() -> None:
    for table in ("health_history", "alert_sync", "alert_acks", "alert_history", "alert_due"):
        op.drop_table(table)
    with op.batch_alter_table("accounts") as batch:
        batch.drop_column("slack_channel")
