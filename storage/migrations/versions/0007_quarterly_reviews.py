"""Quarterly reviews (schedule and held reviews) and weekly report subscriptions.

Revision ID: 0007
Revises: 0006

Written on 0004 while 0006 (alerts) was written in parallel, and re-based on it when merged; it touches
no table 0006 does. (There is no 0005 on main; if one lands, it goes before 0006.)
"""

import sqlalchemy as sa
from alembic import op

from storage.models.base import UTCDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "quarterly_review_schedule",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("due_at", UTCDateTime(), nullable=False),
        sa.Column("last_held_at", UTCDateTime()),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name="fk_quarterly_review_schedule_account_id_accounts",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("account_id", name="pk_quarterly_review_schedule"),
    )
    op.create_index("ix_quarterly_review_schedule_due_at", "quarterly_review_schedule", ["due_at"])
    op.create_table(
        "quarterly_reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("due_at", UTCDateTime(), nullable=False),
        sa.Column("held_at", UTCDateTime(), nullable=False),
        sa.Column("held_by", sa.String(64), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name="fk_quarterly_reviews_account_id_accounts",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_quarterly_reviews"),
    )
    op.create_index("ix_quarterly_reviews_account_id_held_at", "quarterly_reviews", ["account_id", "held_at"])
    op.create_table(
        "report_subscriptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(64), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("at_time", sa.String(5), nullable=False),
        sa.Column("tz", sa.String(64), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("checked_until", UTCDateTime()),
        sa.PrimaryKeyConstraint("id", name="pk_report_subscriptions"),
        sa.UniqueConstraint("channel", name="uq_report_subscriptions_channel"),
    )


def downgrade() -> None:
    op.drop_table("report_subscriptions")
    op.drop_index("ix_quarterly_reviews_account_id_held_at", table_name="quarterly_reviews")
    op.drop_table("quarterly_reviews")
    op.drop_index("ix_quarterly_review_schedule_due_at", table_name="quarterly_review_schedule")
    op.drop_table("quarterly_review_schedule")
