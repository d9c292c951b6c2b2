"""Live data: an account whose CRM record was deleted or archived is marked, not deleted.

`accounts.source_removed_at` is when the account's source record (a HubSpot company, a Salesforce
Account) was archived or deleted there; the account, its decisions and its history stay, /tier says so,
and no tier is pushed to the record any more. (Tier pushes to CRMs reuse sync_pushed_tiers, whose
`target` column already tells the targets apart: no table change for them.)

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

from storage.models.base import UTCDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("accounts") as batch:
        batch.add_column(sa.Column("source_removed_at", UTCDateTime()))


def downgrade() -> None:
    with op.batch_alter_table("accounts") as batch:
        batch.drop_column("source_removed_at")
