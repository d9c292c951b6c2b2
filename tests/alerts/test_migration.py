"""Migration 0006 creates exactly the alert tables the models describe, and accounts.slack_channel."""

from __future__ import annotations

from sqlalchemy import inspect

from storage.db import Database
from tests.schema_diff import schema_diffs

ALERT_TABLES = {"alert_due", "alert_history", "alert_acks", "alert_sync", "health_history"}


def test_migrated_schema_matches_the_alert_models(db: Database) -> None:
    with db.engine.connect() as conn:
        assert set(inspect(conn).get_table_names()) >= ALERT_TABLES
        assert "slack_channel" in {c["name"] for c in inspect(conn).get_columns("accounts")}
        diffs = schema_diffs(conn)
    assert diffs == []
