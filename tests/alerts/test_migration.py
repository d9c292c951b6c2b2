"""Migration 0006 creates exactly the alert tables the models describe, and accounts.slack_channel."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from storage.db import Database
from storage.models import Base

ALERT_TABLES = {"alert_due", "alert_history", "alert_acks", "alert_sync", "health_history"}


def test_migrated_schema_matches_the_alert_models(db: Database) -> None:
    with db.engine.connect() as conn:
        assert set(inspect(conn).get_table_names()) >= ALERT_TABLES
        assert "slack_channel" in {c["name"] for c in inspect(conn).get_columns("accounts")}
        diffs = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    assert diffs == []
