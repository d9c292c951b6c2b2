"""Scenarios as evidence: scenario runs shown in Slack, and the scenarios attached to decisions (issue 12
item 3).

Revision ID: 0011
Revises: 0010

Written on 0007 while other helpers add 0008-0010 in parallel; the lead re-chains it after them. It
touches no table they do (it only references decisions and decision_drafts).
"""

import sqlalchemy as sa
from alembic import op

from storage.models.base import UTCDateTime

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

KIND = "kind IN ('scenario', 'sweep')"


def upgrade() -> None:
    op.create_table(
        "scenario_runs",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("run_by", sa.String(64), nullable=False),
        sa.Column("as_of", UTCDateTime(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("command", sa.Text(), nullable=False),
        sa.Column("inputs", sa.JSON(), nullable=False),
        sa.Column("results", sa.JSON(), nullable=False),
        sa.Column("figures", sa.JSON(), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.CheckConstraint(KIND, name=op.f("ck_scenario_runs_kind")),
        sa.PrimaryKeyConstraint("id", name="pk_scenario_runs"),
    )
    op.create_index("ix_scenario_runs_created_at", "scenario_runs", ["created_at"])
    op.create_table(
        "decision_scenarios",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("decision_id", sa.Integer()),
        sa.Column("draft_id", sa.String(32)),
        sa.Column("run_id", sa.String(32)),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("as_of", UTCDateTime(), nullable=False),
        sa.Column("attached_by", sa.String(64), nullable=False),
        sa.Column("attached_at", UTCDateTime(), nullable=False),
        sa.Column("command", sa.Text(), nullable=False),
        sa.Column("inputs", sa.JSON(), nullable=False),
        sa.Column("results", sa.JSON(), nullable=False),
        sa.Column("figures", sa.JSON(), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.CheckConstraint(KIND, name=op.f("ck_decision_scenarios_kind")),
        sa.CheckConstraint(
            "(decision_id IS NULL) <> (draft_id IS NULL)", name=op.f("ck_decision_scenarios_one_owner")
        ),
        sa.ForeignKeyConstraint(
            ["decision_id"],
            ["decisions.id"],
            name="fk_decision_scenarios_decision_id_decisions",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["draft_id"],
            ["decision_drafts.id"],
            name="fk_decision_scenarios_draft_id_decision_drafts",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_decision_scenarios"),
    )
    op.create_index(
        "ix_decision_scenarios_decision_id_id", "decision_scenarios", ["decision_id", "id"]
    )
    op.create_index("ix_decision_scenarios_draft_id", "decision_scenarios", ["draft_id"])


def downgrade() -> None:
    op.drop_index("ix_decision_scenarios_draft_id", table_name="decision_scenarios")
    op.drop_index("ix_decision_scenarios_decision_id_id", table_name="decision_scenarios")
    op.drop_table("decision_scenarios")
    op.drop_index("ix_scenario_runs_created_at", table_name="scenario_runs")
    op.drop_table("scenario_runs")
