"""Tier-change alerts: what made the difference (tier_history.delta), the rules last applied
(tier_rule_basis), per-account quiet windows (tier_change_reports) and an index on
tier_history.at (the alerts read recent entries of every account).

Revision ID: 0009
Revises: 0008

Written on 0007 while another branch adds 0008; the lead re-chains it at merge. It touches no table
other branches do except adding one nullable column to tier_history.
"""

import sqlalchemy as sa
from alembic import op

from storage.models.base import UTCDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("tier_history", sa.Column("delta", sa.JSON(none_as_null=True)))
    op.create_index("ix_tier_history_at", "tier_history", ["at"])
    op.create_table(
        "tier_rule_basis",
        sa.Column("name", sa.String(32), nullable=False),
        sa.Column("rules", sa.JSON(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_tier_rule_basis"),
    )
    op.create_table(
        "tier_change_reports",
        sa.Column("account_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("reported_tier", sa.String(64), nullable=False),
        sa.Column("moved_from", sa.String(64)),
        sa.Column("reported_at", UTCDateTime(), nullable=False),
        sa.Column("quiet_until", UTCDateTime(), nullable=False),
        sa.Column("last_change_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name="fk_tier_change_reports_account_id_accounts",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("account_id", name="pk_tier_change_reports"),
    )


def downgrade() -> None:
    op.drop_table("tier_change_reports")
    op.drop_table("tier_rule_basis")
    op.drop_index("ix_tier_history_at", table_name="tier_history")
    with op.batch_alter_table("tier_history") as batch:
        batch.drop_column("delta")
