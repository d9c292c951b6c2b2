"""Migration 0002 creates exactly the decision tables the models describe, on every backend."""

from __future__ import annotations

from typing import Any

from sqlalchemy import inspect

from storage.db import Database
from tests.schema_diff import schema_diffs

DECISION_TABLES = {
    "decisions",
    "decision_accounts",
    "decision_tiers",
    "review_triggers",
    "decision_events",
    "decision_drafts",
}


def _table_of(diff: Any) -> str | None:
    """The table a compare_metadata diff is about (diffs are tuples, or lists of tuples for columns)."""
    if isinstance(diff, list):
        diff = diff[0]
    for item in diff[1:]:
        name = getattr(item, "name", None)
        table = getattr(item, "table", None)
        if table is not None and getattr(table, "name", None):
            return str(table.name)
        if hasattr(item, "columns") and hasattr(item, "schema") and name:  # a Table
            return str(name)
        if isinstance(item, str) and item in DECISION_TABLES:
            return item
    return None


def test_migrated_schema_matches_the_decision_models(db: Database) -> None:
    with db.engine.connect() as conn:
        tables = set(inspect(conn).get_table_names())
        assert tables >= DECISION_TABLES
        diffs = schema_diffs(conn, compare_type=False)
    ours = [d for d in diffs if _table_of(d) in DECISION_TABLES]
    assert ours == []


def test_decision_indexes_exist(db: Database) -> None:
    with db.engine.connect() as conn:
        insp = inspect(conn)
        names = {ix["name"] for t in DECISION_TABLES for ix in insp.get_indexes(t)}
    assert {
        "ix_decision_accounts_account_id_decision_id",
        "ix_decision_tiers_tier_decision_id",
        "ix_decisions_status_review_date",
        "ix_review_triggers_decision_id",
    } <= names


def test_check_constraints_carry_the_model_names(db: Database) -> None:
    with db.engine.connect() as conn:
        insp = inspect(conn)
        names = {
            c["name"]
            for t in ("decisions", "review_triggers", "decision_events")
            for c in insp.get_check_constraints(t)
        }
    assert names == {
        "ck_decisions_status",
        "ck_decisions_last_outcome",
        "ck_decisions_in_force",
        "ck_review_triggers_metric",
        "ck_review_triggers_comparison",
        "ck_review_triggers_one_scope",
        "ck_review_triggers_window_days",
        "ck_decision_events_kind",
    }
