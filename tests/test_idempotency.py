"""Claims: once per key across processes, given back on failure, swept after a week."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from storage.db import Database
from storage.idempotency import claim, release, sweep
from storage.models import InboundDelivery


def test_claim_release_and_sweep(db: Database) -> None:
    assert claim(db, "share:C1:1.1:7")
    assert not claim(db, "share:C1:1.1:7")
    release(db, "share:C1:1.1:7")
    assert claim(db, "share:C1:1.1:7")
    assert claim(db, "event:Ev1")
    old = datetime.now(UTC) - timedelta(days=8)
    with db.session() as session:
        session.execute(
            update(InboundDelivery).where(InboundDelivery.key == "event:Ev1").values(created_at=old)
        )
    assert sweep(db, datetime.now(UTC) - timedelta(days=7)) == 1
    assert not claim(db, "share:C1:1.1:7")  # recent claims stay
    assert claim(db, "event:Ev1")
