"""Schedule: digest subscriptions, the delivery ledger, breach acks, review snoozes, scheduler leases.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

from storage.models.base import UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job", sa.String(64), nullable=False),
        sa.Column("target", sa.String(128), nullable=False),
        sa.Column("period", sa.String(191), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text()),
        sa.Column("next_attempt_at", UTCDateTime()),
        sa.Column("claimed_by", sa.String(128)),
        sa.Column("claimed_until", UTCDateTime()),
        sa.Column("payload", sa.JSON()),
        sa.Column("channel", sa.String(64)),
        sa.Column("message_ts", sa.String(64)),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_deliveries"),
        sa.UniqueConstraint("job", "target", "period", name="uq_deliveries_job_target_period"),
    )
    op.create_index("ix_deliveries_status_next_attempt_at", "deliveries", ["status", "next_attempt_at"])
    op.create_table(
        "digest_subscriptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(64), nullable=False),
        sa.Column("tiers", sa.JSON(), nullable=False),
        sa.Column("cadence", sa.String(8), nullable=False),
        sa.Column("at_time", sa.String(5)),
        sa.Column("weekday", sa.Integer()),
        sa.Column("tz", sa.String(64), nullable=False),
        sa.Column("skip_holidays", sa.String(8)),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("checked_until", UTCDateTime()),
        sa.Column("last_snapshot", sa.JSON()),
        sa.Column("problem_notified_at", UTCDateTime()),
        sa.PrimaryKeyConstraint("id", name="pk_digest_subscriptions"),
        sa.UniqueConstraint("channel", name="uq_digest_subscriptions_channel"),
    )
    op.create_table(
        "breach_acks",
        sa.Column("ticket_id", sa.String(64), nullable=False),
        sa.Column("acked_by", sa.String(64)),
        sa.Column("acked_at", UTCDateTime()),
        sa.Column("snoozed_until", UTCDateTime()),
        sa.Column("snoozed_by", sa.String(64)),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("ticket_id", name="pk_breach_acks"),
    )
    op.create_table(
        "review_snoozes",
        sa.Column("decision_id", sa.Integer(), nullable=False),
        sa.Column("until", UTCDateTime(), nullable=False),
        sa.Column("by", sa.String(64), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("decision_id", name="pk_review_snoozes"),
    )
    op.create_table(
        "scheduler_leases",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("holder", sa.String(128), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("acquired_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_scheduler_leases"),
    )


def downgrade() -> None:
    for table in ("scheduler_leases", "review_snoozes", "breach_acks", "digest_subscriptions", "deliveries"):
        op.drop_table(table)
