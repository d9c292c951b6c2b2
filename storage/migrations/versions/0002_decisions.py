"""Decisions: decision records, the accounts and tiers they touch, review triggers, history, drafts.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

from storage.models.base import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_STATUSES = "status IN ('open', 'reviewed', 'reversed', 'superseded')"
_OUTCOMES = "last_outcome IS NULL OR last_outcome IN ('continue', 'adapt', 'stop')"
_METRICS = (
    "metric IN ('resolution_time', 'first_response_time', 'sla_attainment', "
    "'support_cost_per_account', 'health_score', 'severity_mix_share')"
)
_IN_FORCE = "in_force = (status IN ('open', 'reviewed') AND (last_outcome IS NULL OR last_outcome <> 'stop'))"
_COMPARISONS = "comparison IN ('>', '>=', '<', '<=')"
_KINDS = "kind IN ('created', 'reviewed', 'reversed', 'superseded', 'edited')"


def upgrade() -> None:
    op.create_table(
        "decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("in_force", sa.Boolean(), nullable=False),
        sa.Column("owner", sa.String(64), nullable=False),
        sa.Column("review_date", sa.Date(), nullable=False),
        sa.Column("horizon", sa.Date(), nullable=False),
        sa.Column("chosen_option", sa.String(8), nullable=False),
        sa.Column("last_outcome", sa.String(16)),
        sa.Column("last_reviewed_at", UTCDateTime()),
        sa.Column("supersedes_id", sa.Integer()),
        sa.Column("superseded_by_id", sa.Integer()),
        sa.Column("source_channel", sa.String(64)),
        sa.Column("message_channel", sa.String(64)),
        sa.Column("message_ts", sa.String(32)),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("objective", sa.Text(), nullable=False),
        sa.Column("scope", sa.Text(), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("assumptions", sa.Text(), nullable=False),
        sa.Column("open_questions", sa.Text(), nullable=False),
        sa.Column("success_metrics", sa.JSON(), nullable=False),
        sa.Column("key_assumptions", sa.Text(), nullable=False),
        sa.Column("scenario_ranges", sa.Text(), nullable=False),
        sa.Column("tradeoff_summary", sa.Text(), nullable=False),
        sa.Column("risks", sa.Text(), nullable=False),
        sa.Column("criteria", sa.Text(), nullable=False),
        sa.Column("rationale", sa.Text(), nullable=False),
        sa.Column("cadence_initial", sa.Text(), nullable=False),
        sa.Column("cadence_operating", sa.Text(), nullable=False),
        sa.Column("cadence_post", sa.Text(), nullable=False),
        sa.Column("reversal_signal", sa.Text(), nullable=False),
        sa.Column("stop_conditions", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_decisions"),
        sa.ForeignKeyConstraint(
            ["supersedes_id"], ["decisions.id"], name="fk_decisions_supersedes_id_decisions", ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["superseded_by_id"],
            ["decisions.id"],
            name="fk_decisions_superseded_by_id_decisions",
            ondelete="SET NULL",
        ),
        sa.CheckConstraint(_STATUSES, name=op.f("ck_decisions_status")),
        sa.CheckConstraint(_OUTCOMES, name=op.f("ck_decisions_last_outcome")),
        sa.CheckConstraint(_IN_FORCE, name=op.f("ck_decisions_in_force")),
    )
    op.create_index("ix_decisions_status_review_date", "decisions", ["status", "review_date"])
    op.create_index("ix_decisions_in_force_review_date", "decisions", ["in_force", "review_date"])

    op.create_table(
        "decision_accounts",
        sa.Column("decision_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("decision_id", "account_id", name="pk_decision_accounts"),
        sa.ForeignKeyConstraint(
            ["decision_id"], ["decisions.id"], name="fk_decision_accounts_decision_id_decisions", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name="fk_decision_accounts_account_id_accounts", ondelete="CASCADE"
        ),
    )
    op.create_index(
        "ix_decision_accounts_account_id_decision_id", "decision_accounts", ["account_id", "decision_id"]
    )

    op.create_table(
        "decision_tiers",
        sa.Column("decision_id", sa.Integer(), nullable=False),
        sa.Column("tier", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("decision_id", "tier", name="pk_decision_tiers"),
        sa.ForeignKeyConstraint(
            ["decision_id"], ["decisions.id"], name="fk_decision_tiers_decision_id_decisions", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_decision_tiers_tier_decision_id", "decision_tiers", ["tier", "decision_id"])

    op.create_table(
        "review_triggers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("decision_id", sa.Integer(), nullable=False),
        sa.Column("metric", sa.String(32), nullable=False),
        sa.Column("scope_tier", sa.String(64)),
        sa.Column("scope_account_id", sa.Integer()),
        sa.Column("comparison", sa.String(2), nullable=False),
        sa.Column("threshold", sa.Float(), nullable=False),
        sa.Column("window_days", sa.Integer(), nullable=False),
        sa.Column("fired", sa.Boolean(), nullable=False),
        sa.Column("last_value", sa.Float()),
        sa.Column("last_evaluated_at", UTCDateTime()),
        sa.PrimaryKeyConstraint("id", name="pk_review_triggers"),
        sa.ForeignKeyConstraint(
            ["decision_id"], ["decisions.id"], name="fk_review_triggers_decision_id_decisions", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["scope_account_id"],
            ["accounts.id"],
            name="fk_review_triggers_scope_account_id_accounts",
            ondelete="CASCADE",
        ),
        sa.CheckConstraint(_METRICS, name=op.f("ck_review_triggers_metric")),
        sa.CheckConstraint(_COMPARISONS, name=op.f("ck_review_triggers_comparison")),
        sa.CheckConstraint(
            "(scope_tier IS NULL) <> (scope_account_id IS NULL)", name=op.f("ck_review_triggers_one_scope")
        ),
        sa.CheckConstraint("window_days > 0", name=op.f("ck_review_triggers_window_days")),
    )
    op.create_index("ix_review_triggers_decision_id", "review_triggers", ["decision_id"])
    op.create_index("ix_review_triggers_scope_account_id", "review_triggers", ["scope_account_id"])

    op.create_table(
        "decision_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("decision_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_decision_events"),
        sa.ForeignKeyConstraint(
            ["decision_id"], ["decisions.id"], name="fk_decision_events_decision_id_decisions", ondelete="CASCADE"
        ),
        sa.CheckConstraint(_KINDS, name=op.f("ck_decision_events_kind")),
    )
    op.create_index("ix_decision_events_decision_id_id", "decision_events", ["decision_id", "id"])

    op.create_table(
        "decision_drafts",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_decision_drafts"),
    )
    op.create_index("ix_decision_drafts_updated_at", "decision_drafts", ["updated_at"])


def downgrade() -> None:
    for table in (
        "decision_drafts",
        "decision_events",
        "review_triggers",
        "decision_tiers",
        "decision_accounts",
        "decisions",
    ):
        op.drop_table(table)
