"""Migration 0007 creates exactly the tables the quarterly-review and report-subscription models describe."""

from sqlalchemy import inspect

from storage.db import Database
from tests.schema_diff import schema_diffs

TABLES = {"quarterly_review_schedule", "quarterly_reviews", "report_subscriptions"}


def test_migrated_schema_matches_the_models(db: Database) -> None:
    with db.engine.connect() as conn:
        assert set(inspect(conn).get_table_names()) >= TABLES
        diffs = schema_diffs(conn)
    assert [d for d in diffs if any(t in repr(d) for t in TABLES)] == []
