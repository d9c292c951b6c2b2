"""Foundation: accounts, tier overrides, tier history, data versions, inbound deliveries.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

from storage.models.base import UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("external_id", sa.String(128)),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("name_key", sa.String(255), nullable=False),
        sa.Column("domain", sa.String(255)),
        sa.Column("acv", sa.Numeric(14, 2), nullable=False),
        sa.Column("usage_criticality", sa.String(16), nullable=False),
        sa.Column("strategic", sa.Boolean(), nullable=False),
        sa.Column("health_score", sa.Integer()),
        sa.Column("owner", sa.String(255)),
        sa.Column("region", sa.String(64)),
        sa.Column("tier", sa.String(64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_accounts"),
        sa.UniqueConstraint("external_id", name="uq_accounts_external_id"),
    )
    op.create_index("ix_accounts_name_key", "accounts", ["name_key"])
    op.create_index("ix_accounts_domain", "accounts", ["domain"])
    op.create_index("ix_accounts_tier", "accounts", ["tier"])
    op.create_table(
        "tier_overrides",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("tier", sa.String(64), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("set_by", sa.String(255), nullable=False),
        sa.Column("expires_at", UTCDateTime()),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("cleared_at", UTCDateTime()),
        sa.Column("cleared_by", sa.String(255)),
        sa.PrimaryKeyConstraint("id", name="pk_tier_overrides"),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name="fk_tier_overrides_account_id_accounts", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_tier_overrides_account_id", "tier_overrides", ["account_id"])
    op.create_table(
        "tier_history",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("from_tier", sa.String(64)),
        sa.Column("to_tier", sa.String(64), nullable=False),
        sa.Column("cause", sa.String(32), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("actor", sa.String(255), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_tier_history"),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name="fk_tier_history_account_id_accounts", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_tier_history_account_at", "tier_history", ["account_id", "at"])
    op.create_table(
        "data_versions",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_data_versions"),
    )
    op.create_table(
        "inbound_deliveries",
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_inbound_deliveries"),
    )


def downgrade() -> None:
    for table in ("inbound_deliveries", "data_versions", "tier_history", "tier_overrides", "accounts"):
        op.drop_table(table)
