"""Claims: once per key across processes, given back on failure, swept after a week."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from storage.db import Database
from storage.idempotency import AlreadyClaimed, claim, claim_in, release, sweep
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


def test_a_claim_taken_inside_a_unit_of_work_lives_and_dies_with_it(db: Database) -> None:
    with pytest.raises(RuntimeError), db.session() as session:
        claim_in(session, "decision-reverse:V1:1")
        raise RuntimeError("the change it guards was refused")
    assert claim(db, "decision-reverse:V1:1")  # rolled back with it: nothing to release
    with pytest.raises(AlreadyClaimed), db.session() as session:
        claim_in(session, "decision-reverse:V1:1")
