"""Live data: per-source sync state, rejects, links, pushed tiers; accounts know their source.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

from storage.models.base import UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("accounts") as batch:
        batch.add_column(sa.Column("source", sa.String(32)))
        batch.add_column(sa.Column("source_id", sa.String(128)))
        batch.add_column(sa.Column("source_updated_at", UTCDateTime()))
    op.create_index("ix_accounts_source_source_id", "accounts", ["source", "source_id"], unique=True)
    op.create_table(
        "sync_state",
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("cursor", sa.Text()),
        sa.Column("last_started_at", UTCDateTime()),
        sa.Column("last_success_at", UTCDateTime()),
        sa.Column("last_error", sa.Text()),
        sa.Column("last_error_at", UTCDateTime()),
        sa.Column("last_records", sa.Integer(), nullable=False),
        sa.Column("last_seconds", sa.Float(), nullable=False),
        sa.Column("last_stats", sa.JSON()),
        sa.Column("lease_holder", sa.String(128)),
        sa.Column("lease_until", UTCDateTime()),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("source", name="pk_sync_state"),
    )
    op.create_table(
        "sync_rejects",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("record_id", sa.String(128), nullable=False),
        sa.Column("field", sa.String(64), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_sync_rejects"),
    )
    op.create_index("ix_sync_rejects_source_id", "sync_rejects", ["source", "id"])
    op.create_table(
        "sync_links",
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("remote_id", sa.String(128), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name="fk_sync_links_account_id_accounts", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("source", "remote_id", name="pk_sync_links"),
    )
    op.create_index("ix_sync_links_account_id", "sync_links", ["account_id"])
    op.create_table(
        "sync_pushed_tiers",
        sa.Column("target", sa.String(32), nullable=False),
        sa.Column("remote_id", sa.String(128), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("tier", sa.String(64), nullable=False),
        sa.Column("pushed_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name="fk_sync_pushed_tiers_account_id_accounts",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("target", "remote_id", name="pk_sync_pushed_tiers"),
    )


def downgrade() -> None:
    for table in ("sync_pushed_tiers", "sync_links", "sync_rejects", "sync_state"):
        op.drop_table(table)
    op.drop_index("ix_accounts_source_source_id", "accounts")
    with op.batch_alter_table("accounts") as batch:
        batch.drop_column("source_updated_at")
        batch.drop_column("source_id")
        batch.drop_column("source")
