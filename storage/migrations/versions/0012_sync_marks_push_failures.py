"""Live-data fixes: per-source marks beside the cursor (the Salesforce delete log's high-water mark,
when the HubSpot archive list was last read), and the records a target refused, so a push does not
send them again until their tier changes or a day passes.

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

from storage.models.base import UTCDateTime

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sync_state") as batch:
        batch.add_column(sa.Column("marks", sa.JSON(), nullable=True))
    op.create_table(
        "sync_push_failures",
        sa.Column("target", sa.String(32), nullable=False),
        sa.Column("remote_id", sa.String(128), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("tier", sa.String(64), nullable=False),
        sa.Column("failed_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name="fk_sync_push_failures_account_id_accounts",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("target", "remote_id", name="pk_sync_push_failures"),
    )


def downgrade() -> None:
    op.drop_table("sync_push_failures")
    with op.batch_alter_table("sync_state") as batch:
        batch.drop_column("marks")
