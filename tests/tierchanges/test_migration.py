"""Migration 0009 creates exactly what the tier-change models describe (delta column, basis, reports)."""

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from storage.db import Database
from storage.models import Base

TABLES = {"tier_history", "tier_rule_basis", "tier_change_reports"}


def test_migrated_schema_matches_the_models(db: Database) -> None:
    with db.engine.connect() as conn:
        assert set(inspect(conn).get_table_names()) >= TABLES
        assert "delta" in {c["name"] for c in inspect(conn).get_columns("tier_history")}
        diffs = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    assert [d for d in diffs if any(t in repr(d) for t in TABLES)] == []
