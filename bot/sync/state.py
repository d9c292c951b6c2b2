"""Per-source sync state: the lease that keeps runs apart, the cursor, run results and rejects."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.sync.errors import SyncBusy
from bot.sync.records import Reject
from bot.text import storable
from storage.db import Database
from storage.models.sync import SyncReject, SyncState

REJECTS_KEPT = 200  # per source: enough to act on, bounded however bad a source gets
LEASE = timedelta(minutes=10)  # renewed with every page; a run that dies frees its source after this


def holder_id() -> str:
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _ensure_row(db: Database, source: str, now: datetime) -> None:
    with db.session() as session:
        if session.get(SyncState, source) is not None:
            return
    try:
        with db.session() as session:
            session.add(SyncState(source=source, last_records=0, last_seconds=0.0, updated_at=now))
    except IntegrityError:
        pass  # another process made it


def acquire(db: Database, source: str, holder: str, now: datetime) -> str | None:
    """Take the source's lease; None when taken, else who holds it (and until when)."""
    _ensure_row(db, source, now)
    with db.session() as session:
        taken = session.execute(
            update(SyncState)
            .where(
                SyncState.source == source,
                or_(
                    SyncState.lease_holder.is_(None),
                    SyncState.lease_holder == holder,
                    SyncState.lease_until < now,
                ),
            )
            .values(lease_holder=holder, lease_until=now + LEASE, last_started_at=now, updated_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount  # type: ignore[attr-defined]
        if taken == 1:
            return None
        row = session.get(SyncState, source)
        assert row is not None
        return f"{row.lease_holder} (until {row.lease_until:%H:%M:%S} UTC)"


def renew(session: Session, source: str, holder: str, now: datetime) -> None:
    session.execute(
        update(SyncState)
        .where(SyncState.source == source, SyncState.lease_holder == holder)
        .values(lease_until=now + LEASE)
        .execution_options(synchronize_session=False)
    )


def release(db: Database, source: str, holder: str) -> None:
    with db.session() as session:
        session.execute(
            update(SyncState)
            .where(SyncState.source == source, SyncState.lease_holder == holder)
            .values(lease_holder=None, lease_until=None)
            .execution_options(synchronize_session=False)
        )


def read_cursor(db: Database, source: str) -> str | None:
    with db.session() as session:
        return session.scalar(select(SyncState.cursor).where(SyncState.source == source))


def save_cursor(session: Session, source: str, cursor: str, holder: str, now: datetime) -> None:
    """In the page's own transaction: the page and the cursor past it commit together, and only
    while this run still holds the lease (else the transaction is rolled back: no two writers)."""
    held = session.execute(
        update(SyncState)
        .where(SyncState.source == source, SyncState.lease_holder == holder)
        .values(cursor=cursor, lease_until=now + LEASE, updated_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]
    if held != 1:
        raise SyncBusy(source, "the run lost its lease to another (it stalled past the lease); stopped")


def add_rejects(session: Session, source: str, rejects: Sequence[Reject], now: datetime) -> None:
    if not rejects:
        return
    rows = [
        {
            "source": source,
            "record_id": storable(r.record_id)[:128],
            "field": storable(r.field)[:64],
            "reason": storable(r.reason),
            "at": now,
        }
        for r in rejects[-REJECTS_KEPT:]
    ]
    session.execute(insert(SyncReject), rows)
    count = (
        session.scalar(select(func.count()).select_from(SyncReject).where(SyncReject.source == source)) or 0
    )
    if count > REJECTS_KEPT:
        oldest_kept = session.scalar(
            select(SyncReject.id)
            .where(SyncReject.source == source)
            .order_by(SyncReject.id.desc())
            .offset(REJECTS_KEPT - 1)
            .limit(1)
        )
        session.execute(delete(SyncReject).where(SyncReject.source == source, SyncReject.id < oldest_kept))


def finish(
    db: Database,
    source: str,
    now: datetime,
    *,
    records: int,
    seconds: float,
    stats: dict[str, int],
    error: str | None,
) -> None:
    values: dict[str, object] = {"last_records": records, "last_seconds": seconds, "last_stats": stats}
    if error is None:
        values.update(last_success_at=now)
    else:
        values.update(last_error=storable(error), last_error_at=now)  # it may quote a vendor's message
    with db.session() as session:
        session.execute(
            update(SyncState)
            .where(SyncState.source == source)
            .values(**values, updated_at=now)
            .execution_options(synchronize_session=False)
        )


def states(db: Database) -> list[SyncState]:
    with db.session() as session:
        return list(session.scalars(select(SyncState).order_by(SyncState.source)))


def last_rejects(db: Database, source: str, limit: int = 10) -> list[SyncReject]:
    with db.session() as session:
        return list(
            session.scalars(
                select(SyncReject)
                .where(SyncReject.source == source)
                .order_by(SyncReject.id.desc())
                .limit(limit)
            )
        )


def read_marks(db: Database, source: str) -> dict[str, str]:
    with db.session() as session:
        return dict(session.scalar(select(SyncState.marks).where(SyncState.source == source)) or {})


def save_marks(session: Session, source: str, marks: dict[str, str], now: datetime) -> None:
    """Merge `marks` into the source's marks, in the caller's transaction (with what they cover)."""
    if not marks:
        return
    current = session.scalar(select(SyncState.marks).where(SyncState.source == source)) or {}
    session.execute(
        update(SyncState)
        .where(SyncState.source == source)
        .values(marks={**current, **marks}, updated_at=now)
        .execution_options(synchronize_session=False)
    )
