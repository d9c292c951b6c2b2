"""One leased run of a source: the lease that keeps a second run out, the tally of what its pages did,
and the summary it ends with.

A run that stops on a SyncError keeps every page applied so far and records why; any other exception
is recorded as the run's error too (never as a success) and raised again. The lease's clock follows
real time, so renewals stay ahead of a run longer than the lease.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from bot.sync import state
from bot.sync.accounts import PageResult, TierMove
from bot.sync.errors import AuthFailed, SyncBusy, SyncError
from bot.sync.records import Reject
from storage.db import Database

log = logging.getLogger("bot.sync.service")  # the name operators grep for, as before the split

KEPT_REJECTS = 20  # in a summary; the database keeps more (state.REJECTS_KEPT)
KEPT_MOVES = 50


class RunStatus(StrEnum):
    OK = "ok"
    STOPPED = "stopped"  # a SyncError: the reason is in `error`, the cursor where it was


@dataclass(frozen=True, slots=True)
class SyncSummary:
    source: str
    status: RunStatus
    created: int
    updated: int
    unchanged: int
    rejected: int
    rejects: tuple[Reject, ...]  # the first KEPT_REJECTS
    tier_changes: int
    moves: tuple[TierMove, ...]  # the first KEPT_MOVES
    records: int
    seconds: float
    error: str | None = None
    # Deleted at the source: helpdesk tickets deleted here; CRM records archived or deleted there,
    # whose accounts are marked (Account.source_removed_at), never deleted.
    deleted: int = 0
    notes: tuple[str, ...] = ()  # what the run left out or could not see, e.g. the archive list
    auth_failed: bool = False  # stopped on its credentials (AuthFailed): push nothing to this source

    @property
    def records_per_second(self) -> float:
        return self.records / self.seconds if self.seconds > 0 else 0.0


@dataclass
class Tally:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    rejected: int = 0
    records: int = 0
    tier_changes: int = 0
    rejects: list[Reject] = field(default_factory=list)
    moves: list[TierMove] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, page: PageResult, records: int) -> None:
        self.created += page.created
        self.updated += page.updated
        self.unchanged += page.unchanged
        self.deleted += page.deleted
        self.rejected += len(page.rejects)
        self.records += records
        self.tier_changes += len(page.moves)
        self.rejects.extend(page.rejects[: KEPT_REJECTS - len(self.rejects)])
        self.moves.extend(page.moves[: KEPT_MOVES - len(self.moves)])

    def stats(self) -> dict[str, int]:
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged,
                "deleted": self.deleted, "rejected": self.rejected,
                "tier_changes": self.tier_changes}  # fmt: skip

    def summary(self, source: str, seconds: float, error: str | None, auth: bool = False) -> SyncSummary:
        return SyncSummary(
            source, RunStatus.OK if error is None else RunStatus.STOPPED, self.created, self.updated,
            self.unchanged, self.rejected, tuple(self.rejects), self.tier_changes, tuple(self.moves),
            self.records, seconds, error, self.deleted, tuple(self.notes), auth,
        )  # fmt: skip


@dataclass(frozen=True)
class Lease:
    holder: str
    now: datetime
    started: float  # time.monotonic() at the start

    def clock(self) -> datetime:
        """`now` plus the time this run has taken: lease renewals must follow real time, or a run
        longer than the lease would let another take its source over while it still writes."""
        return self.now + timedelta(seconds=time.monotonic() - self.started)


def unexpected(exc: BaseException) -> str:
    """'OperationalError: too many SQL variables' for an error no client turned into a SyncError."""
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {first[:200]}" if first else type(exc).__name__


def run_leased(
    db: Database,
    source: str,
    now: datetime,
    body: Callable[[Lease, Tally], None],
) -> SyncSummary:
    holder = state.holder_id()
    busy = state.acquire(db, source, holder, now)
    if busy is not None:
        raise SyncBusy(source, f"another sync of {source} is running: {busy}; try again when it ends")
    tally = Tally()
    started = time.monotonic()
    error: str | None = None
    auth = False
    try:
        body(Lease(holder, now, started), tally)
    except SyncError as exc:
        error, auth = str(exc), isinstance(exc, AuthFailed)
        log.error("sync %s stopped: %s", source, error)
    except Exception as exc:
        # Not a success: the run's error says so (the class and a short message; no request, no
        # credential: SQLAlchemy and httpx messages carry no secrets, and 200 characters bound them).
        error = f"{source}: failed ({unexpected(exc)})"
        log.exception("sync %s failed", source)
        raise
    finally:
        seconds = time.monotonic() - started
        state.finish(
            db, source, now, records=tally.records, seconds=seconds, stats=tally.stats(), error=error
        )
        state.release(db, source, holder)
    return tally.summary(source, seconds, error, auth)
