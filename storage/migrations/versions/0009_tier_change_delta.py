"""Tier-change alerts: what made the difference (tier_history.delta), the rules last applied
(tier_rule_basis), per-account quiet windows (tier_change_reports) and an index on
tier_history.at (the alerts read recent entries of every account).

Revision ID: 0009
Revises: 0008

Written on 0007 while another branch adds 0008; the lead re-chains it at merge. It touches no table
other branches do except adding one nullable column to tier_history.

Before 0009 the tier-change job keyed its posts by epoch-day buckets and kept no per-account state;
starting from an empty tier_change_reports, the new job would post again every move of the last
24-48 hours (its look-back). So the upgrade seeds one row per account with tier history in the last
48 hours: the channel read its latest move already (reported tier = that move's to_tier, moved from
= its from_tier, history up to its id accounted for) and no quiet window is open (quiet_until = now),
so the next move is reported as usual.
"""

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

from storage.models.base import UTCDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

SEEN = timedelta(hours=48)  # twice the job's minimum look-back (bot.tierchanges.service.lookback)


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
    _seed_reports(datetime.now(UTC))


def _seed_reports(now: datetime) -> None:
    """One INSERT ... SELECT, portable to SQLite and PostgreSQL: each account's newest history entry
    of the last SEEN hours becomes what the channel last read."""
    op.get_bind().execute(
        sa.text(
            "INSERT INTO tier_change_reports"
            " (account_id, reported_tier, moved_from, reported_at, quiet_until, last_change_id)"
            " SELECT h.account_id, h.to_tier, h.from_tier, :now, :now, h.id"
            " FROM tier_history h"
            " JOIN (SELECT account_id, MAX(id) AS last_id FROM tier_history WHERE at >= :since"
            " GROUP BY account_id) latest ON latest.last_id = h.id"
        ).bindparams(
            sa.bindparam("now", now, type_=UTCDateTime()),
            sa.bindparam("since", now - SEEN, type_=UTCDateTime()),
        )
    )


def downgrade() -> None:
    op.drop_table("tier_change_reports")
    op.drop_table("tier_rule_basis")
    op.drop_index("ix_tier_history_at", table_name="tier_history")
    with op.batch_alter_table("tier_history") as batch:
        batch.drop_column("delta")
