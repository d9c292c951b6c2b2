"""A post whose outcome is unknown (timeout, dropped connection) is checked against history on retry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.schedule import ledger
from bot.schedule.ledger import DeliveryKey
from storage.db import Database

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def _retry_after(db: Database, target: str, error: str) -> ledger.Claimed:
    key = DeliveryKey("digests", target, "daily:2026-11-23T09:00+00:00")
    claimed = ledger.claim_new(db, key, {"channel": target, "text": "x"}, NOW, "p1")
    assert claimed is not None
    assert ledger.mark_retry(db, claimed.id, "p1", error, NOW + timedelta(seconds=10), NOW)
    (again,) = ledger.claim_due(db, "digests", NOW + timedelta(seconds=11), "p2")
    return again


def test_uncertain_failure_is_recovered_with_a_history_check(db: Database) -> None:
    again = _retry_after(db, "C1", f"{ledger.UNCERTAIN}ReadTimeout: timed out")
    assert again.recovered is True


def test_a_refused_post_is_simply_retried(db: Database) -> None:
    again = _retry_after(db, "C2", "ratelimited: HTTP 429")
    assert again.recovered is False
