"""Migration 0007 creates exactly the tables the quarterly-review and report-subscription models describe."""

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from storage.db import Database
from storage.models import Base

TABLES = {"quarterly_review_schedule", "quarterly_reviews", "report_subscriptions"}


def test_migrated_schema_matches_the_models(db: Database) -> None:
    with db.engine.connect() as conn:
        assert set(inspect(conn).get_table_names()) >= TABLES
        diffs = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    assert [d for d in diffs if any(t in repr(d) for t in TABLES)] == []
