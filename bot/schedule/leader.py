"""Leader election over a lease row, the same on SQLite and PostgreSQL.

The leader renews `expires_at` every tick; a standby takes the row over once it has expired, so a
leader that dies (even by SIGKILL) is replaced within one lease. A leader that stalls past its lease
could briefly overlap with its successor: that is harmless, because the delivery ledger, not the
leadership, is what makes each post happen once. Leadership only keeps the work in one place.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from storage.db import Database
from storage.models.schedule import SchedulerLease

log = logging.getLogger(__name__)

LEASE_NAME = "scheduler"


def holder_id() -> str:
    """Unique per process, readable in the lease table and the logs."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass
class Lease:
    db: Database
    ttl: timedelta
    holder: str = field(default_factory=holder_id)
    name: str = LEASE_NAME
    is_leader: bool = False

    def renew(self, now: datetime) -> bool:
        """Take or keep the lease; returns whether this process leads until the next renewal."""
        try:
            leading = self._try(now)
        except SQLAlchemyError as exc:
            # Without the database we cannot prove leadership: stand down until it is back.
            log.error("scheduler lease check failed (%s); standing by", exc.__class__.__name__)
            leading = False
        if leading and not self.is_leader:
            log.info("scheduler %s became leader", self.holder)
        elif not leading and self.is_leader:
            log.warning("scheduler %s lost leadership", self.holder)
        self.is_leader = leading
        return leading

    def _try(self, now: datetime) -> bool:
        expires = now + self.ttl
        with self.db.session() as session:
            result = session.execute(
                update(SchedulerLease)
                .where(
                    SchedulerLease.name == self.name,
                    or_(SchedulerLease.holder == self.holder, SchedulerLease.expires_at < now),
                )
                .values(holder=self.holder, expires_at=expires)
                .execution_options(synchronize_session=False)
            )
            if result.rowcount == 1:  # type: ignore[attr-defined]
                holder = session.scalar(select(SchedulerLease.holder).where(SchedulerLease.name == self.name))
                if holder == self.holder and not self.is_leader:
                    session.execute(
                        update(SchedulerLease)
                        .where(SchedulerLease.name == self.name)
                        .values(acquired_at=now)
                        .execution_options(synchronize_session=False)
                    )
                return holder == self.holder
        try:
            with self.db.session() as session:
                session.add(
                    SchedulerLease(name=self.name, holder=self.holder, expires_at=expires, acquired_at=now)
                )
        except IntegrityError:
            return False  # someone else holds a live lease
        return True

    def release(self) -> None:
        """Give the lease up at shutdown so a standby takes over at its next tick, not after the TTL."""
        if not self.is_leader:
            return
        try:
            with self.db.session() as session:
                session.execute(
                    delete(SchedulerLease).where(
                        SchedulerLease.name == self.name, SchedulerLease.holder == self.holder
                    )
                )
            log.info("scheduler %s released leadership", self.holder)
        except SQLAlchemyError as exc:
            log.warning("could not release the scheduler lease (%s); it expires by itself", exc)
        self.is_leader = False


def current_leader(db: Database, now: datetime, name: str = LEASE_NAME) -> str | None:
    with db.session() as session:
        row = session.get(SchedulerLease, name)
        if row is None or row.expires_at < now:
            return None
        return row.holder
