"""Migration 0004 creates exactly the schedule tables the models describe, and the ledger's unique key."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import inspect
from sqlalchemy.exc import IntegrityError

from storage.db import Database
from storage.models.schedule import Delivery
from tests.schema_diff import schema_diffs

SCHEDULE_TABLES = {"deliveries", "digest_subscriptions", "breach_acks", "review_snoozes", "scheduler_leases"}


def test_migrated_schema_matches_the_schedule_models(db: Database) -> None:
    with db.engine.connect() as conn:
        assert set(inspect(conn).get_table_names()) >= SCHEDULE_TABLES
        diffs = schema_diffs(conn)
    ours = [d for d in diffs if any(t in repr(d) for t in SCHEDULE_TABLES)]
    assert ours == []


def test_the_ledger_refuses_a_second_row_for_the_same_job_target_and_period(db: Database) -> None:
    now = datetime(2026, 11, 23, tzinfo=UTC)

    def row() -> Delivery:
        return Delivery(
            job="digests", target="C1", period="daily:x", status="sent", attempts=1, created_at=now
        )

    with db.session() as session:
        session.add(row())
    with pytest.raises(IntegrityError), db.session() as session:
        session.add(row())
