"""The delivery ledger: one row per (job, target, period), claimed by inserting it.

Exactly-once comes from the database, not from APScheduler: whoever inserts the row posts; a unique
violation means another run (a restart, a catch-up, a second scheduler) already has it. A row is
`sending` only under a short lease (`claimed_until`); every later transition is a compare-and-set on
(status, claimed_by), so two processes never both believe they own a row.

At-least-once window: a process that dies after Slack accepted a post but before `mark_sent` committed
leaves the row `sending`. The next leader takes it over when the lease has run out and first looks for
the message in the channel's history (every post carries the delivery key in its metadata, see
`poster.py`); only if that look-up is impossible (no history scope) can the message appear twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select, true, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.db import Database
from storage.models.schedule import GIVEN_UP, PENDING, SENDING, SENT, SKIPPED, Delivery

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_MAX = timedelta(minutes=15)
SEND_LEASE = timedelta(minutes=2)  # longer than a post with its timeouts (two calls x 10 s)


@dataclass(frozen=True)
class DeliveryKey:
    job: str
    target: str
    period: str

    def __str__(self) -> str:
        return f"{self.job}|{self.target}|{self.period}"


@dataclass(frozen=True)
class Claimed:
    """A row this process now owns and must post."""

    id: int
    key: DeliveryKey
    payload: dict[str, Any]
    attempts: int
    created_at: datetime
    recovered: bool  # taken over from a process that died mid-post: check history before posting


def backoff(attempts: int) -> timedelta:
    delay: timedelta = BACKOFF_BASE * (2 ** max(0, attempts - 1))
    return min(delay, BACKOFF_MAX)


def status_of(db: Database, key: DeliveryKey) -> str | None:
    with db.session() as session:
        return session.scalar(
            select(Delivery.status).where(
                Delivery.job == key.job, Delivery.target == key.target, Delivery.period == key.period
            )
        )


def claim_in(
    session: Session, key: DeliveryKey, payload: dict[str, Any], now: datetime, holder: str
) -> Claimed | None:
    """Claim inside the caller's transaction (committed with the caller's other writes).

    None when the row already exists. A concurrent insert by another process surfaces as an
    IntegrityError at flush, which fails the caller's whole transaction: its next run sees the row."""
    exists = session.scalar(
        select(Delivery.id).where(
            Delivery.job == key.job, Delivery.target == key.target, Delivery.period == key.period
        )
    )
    if exists is not None:
        return None
    row = Delivery(
        job=key.job,
        target=key.target,
        period=key.period,
        status=SENDING,
        attempts=1,
        claimed_by=holder,
        claimed_until=now + SEND_LEASE,
        payload=payload,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    session.flush()
    return Claimed(row.id, key, payload, 1, now, recovered=False)


def claim_new(
    db: Database, key: DeliveryKey, payload: dict[str, Any], now: datetime, holder: str
) -> Claimed | None:
    """Insert the row as `sending` under our lease; None when the row exists (someone else has it)."""
    try:
        with db.session() as session:
            return claim_in(session, key, payload, now, holder)
    except IntegrityError:
        return None


def queue_in(
    session: Session,
    key: DeliveryKey,
    spec: dict[str, Any],
    now: datetime,
    not_before: datetime | None = None,
) -> bool:
    """Record a delivery still to make (`pending`) inside the caller's transaction, so it is committed
    with the change it reports and can never be lost; False when the key is already there.

    Whoever claims it (`claim_due`) posts it; `spec` is what that poster needs to render the message at
    send time (a record that changed meanwhile is posted as it now is). `not_before` leaves the first
    attempt to whoever queued it; the retry pass takes the row after that."""
    exists = session.scalar(
        select(Delivery.id).where(
            Delivery.job == key.job, Delivery.target == key.target, Delivery.period == key.period
        )
    )
    if exists is not None:
        return False
    session.add(
        Delivery(
            job=key.job,
            target=key.target,
            period=key.period,
            status=PENDING,
            attempts=0,
            next_attempt_at=not_before,
            payload=spec,
            created_at=now,
            updated_at=now,
        )
    )
    session.flush()
    return True


def requeue_in(session: Session, key: DeliveryKey, spec: dict[str, Any], now: datetime) -> str | None:
    """Give a delivery that was given up a fresh round of attempts (an operator's repost); a missing row
    is queued. Returns the status it had (None: there was none); a sent or pending row is left alone."""
    row = session.scalar(
        select(Delivery).where(
            Delivery.job == key.job, Delivery.target == key.target, Delivery.period == key.period
        )
    )
    if row is None:
        queue_in(session, key, spec, now)
        return None
    previous = row.status
    if previous == GIVEN_UP:
        row.status, row.attempts, row.payload = PENDING, 0, spec
        row.next_attempt_at, row.claimed_by, row.claimed_until, row.updated_at = None, None, None, now
    return previous


def record_skipped(db: Database, key: DeliveryKey, reason: str, now: datetime) -> bool:
    """A period deliberately not posted (missed beyond the grace): kept with its reason."""
    try:
        with db.session() as session:
            session.add(
                Delivery(
                    job=key.job,
                    target=key.target,
                    period=key.period,
                    status=SKIPPED,
                    attempts=0,
                    last_error=reason[:2000],
                    created_at=now,
                    updated_at=now,
                )
            )
    except IntegrityError:
        return False
    log.warning("skipped %s: %s", key, reason)
    return True


# Prefix of the recorded error of an attempt whose outcome is unknown (timeout, dropped connection).
UNCERTAIN = "uncertain: "


def claim_due(
    db: Database, job: str, now: datetime, holder: str, limit: int = 50, key: DeliveryKey | None = None
) -> list[Claimed]:
    """Take over this job's rows that are due for another attempt: pending ones whose backoff is over,
    and `sending` ones whose lease ran out (their process died mid-post). `key`: only that row, also
    before its `next_attempt_at` (the process that queued it attempts it at once)."""
    due = or_(
        and_(
            Delivery.status == PENDING,
            or_(Delivery.next_attempt_at.is_(None), Delivery.next_attempt_at <= now),
        ),
        and_(Delivery.status == SENDING, Delivery.claimed_until < now),
    )
    if key is not None:
        due = or_(
            and_(Delivery.status == PENDING, Delivery.attempts == 0),
            due,
        )
    only = and_(Delivery.target == key.target, Delivery.period == key.period) if key is not None else true()
    with db.session() as session:
        rows = session.execute(
            select(Delivery.id, Delivery.status, Delivery.last_error)
            .where(Delivery.job == job, only, due)
            .order_by(Delivery.id)
            .limit(limit)
        ).all()
    claimed: list[Claimed] = []
    for row_id, status, last_error in rows:
        # After a timeout or a dropped connection Slack may already have the message: check first.
        uncertain = status == SENDING or (last_error or "").startswith(UNCERTAIN)
        with db.session() as session:
            # Compare-and-set: only one process moves a given row from due to ours.
            result = session.execute(
                update(Delivery)
                .where(Delivery.id == row_id, due)
                .values(
                    status=SENDING,
                    claimed_by=holder,
                    claimed_until=now + SEND_LEASE,
                    attempts=Delivery.attempts + 1,
                    updated_at=now,
                )
                .execution_options(synchronize_session=False)
            )
            if result.rowcount != 1:  # type: ignore[attr-defined]
                continue
            row = session.get(Delivery, row_id)
            assert row is not None
            session.refresh(row)
            key = DeliveryKey(row.job, row.target, row.period)
            if status == SENDING:
                log.warning("%s: taking over a post whose process stopped mid-send", key)
            claimed.append(
                Claimed(row.id, key, row.payload or {}, row.attempts, row.created_at, recovered=uncertain)
            )
    return claimed


def _finish(db: Database, row_id: int, holder: str, values: dict[str, Any]) -> bool:
    with db.session() as session:
        result = session.execute(
            update(Delivery)
            .where(Delivery.id == row_id, Delivery.status == SENDING, Delivery.claimed_by == holder)
            .values(claimed_until=None, **values)
            .execution_options(synchronize_session=False)
        )
        done: bool = result.rowcount == 1  # type: ignore[attr-defined]
    if not done:
        log.error("delivery %s was taken over by another process before it was recorded", row_id)
    return done


def mark_sent(
    db: Database, row_id: int, holder: str, channel: str | None, ts: str | None, now: datetime
) -> bool:
    # The rendered payload is dropped once posted: the ledger keeps the fact, not every message body.
    return _finish(
        db,
        row_id,
        holder,
        {
            "status": SENT,
            "channel": channel,
            "message_ts": ts,
            "payload": None,
            "last_error": None,
            "updated_at": now,
        },
    )


def mark_retry(db: Database, row_id: int, holder: str, error: str, next_at: datetime, now: datetime) -> bool:
    return _finish(
        db,
        row_id,
        holder,
        {"status": PENDING, "last_error": error[:2000], "next_attempt_at": next_at, "updated_at": now},
    )


def mark_given_up(db: Database, row_id: int, holder: str, reason: str, now: datetime) -> bool:
    return _finish(
        db,
        row_id,
        holder,
        {"status": GIVEN_UP, "last_error": reason[:2000], "next_attempt_at": None, "updated_at": now},
    )


def rows(db: Database, job: str | None = None, target: str | None = None) -> list[Delivery]:
    """Ledger rows, oldest first (tests, `tierbot jobs list`)."""
    with db.session() as session:
        query = select(Delivery).order_by(Delivery.id)
        if job is not None:
            query = query.where(Delivery.job == job)
        if target is not None:
            query = query.where(Delivery.target == target)
        return list(session.scalars(query).all())


def counts(db: Database) -> dict[tuple[str, str], int]:
    """(job, status) -> rows, for `tierbot jobs list`."""
    with db.session() as session:
        result = session.execute(
            select(Delivery.job, Delivery.status, func.count()).group_by(Delivery.job, Delivery.status)
        ).all()
    return {(job, status): n for job, status, n in result}
