"""The front door of live data: sync accounts from a CRM, tickets from the helpdesk, push tiers back.

Each run holds its source's lease (a second run refuses with SyncBusy), streams pages, and applies
each page in one transaction together with the cursor past it: a crash between pages resumes at the
first page not applied, and none is applied twice. A run that stops (rate limit, credentials, server
errors past the retry bound) keeps every page applied so far and records why it stopped.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.policy.model import Policy
from bot.sync import links, sources, state
from bot.sync.accounts import PageResult, TierMove, Tiers, apply_page
from bot.sync.errors import SyncBusy, SyncError
from bot.sync.helpdesk import ORGS, TARGET, apply_orgs, apply_tickets, upsert_rows
from bot.sync.link_urls import LinkSources
from bot.sync.links import LinkContext
from bot.sync.prefetch import grouped, prefetch
from bot.sync.records import Normaliser, Reject
from bot.sync.types import AccountSource, HelpdeskSource
from storage.db import Database
from storage.models import Account
from storage.models.sync import PushedTier, SyncLink
from storage.versions import TICKETS, bump_version

log = logging.getLogger(__name__)

KEPT_REJECTS = 20  # in a summary; the database keeps more (state.REJECTS_KEPT)
KEPT_MOVES = 50
PUSH_BATCH = 100
# (records done, total or None): called once per page.
Progress = Callable[[int, "int | None"], None]


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

    @property
    def records_per_second(self) -> float:
        return self.records / self.seconds if self.seconds > 0 else 0.0


@dataclass
class _Tally:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    records: int = 0
    tier_changes: int = 0
    rejects: list[Reject] = field(default_factory=list)
    moves: list[TierMove] = field(default_factory=list)

    def add(self, page: PageResult, records: int) -> None:
        self.created += page.created
        self.updated += page.updated
        self.unchanged += page.unchanged
        self.rejected += len(page.rejects)
        self.records += records
        self.tier_changes += len(page.moves)
        self.rejects.extend(page.rejects[: KEPT_REJECTS - len(self.rejects)])
        self.moves.extend(page.moves[: KEPT_MOVES - len(self.moves)])

    def stats(self) -> dict[str, int]:
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged,
                "rejected": self.rejected, "tier_changes": self.tier_changes}  # fmt: skip

    def summary(self, source: str, seconds: float, error: str | None) -> SyncSummary:
        return SyncSummary(
            source, RunStatus.OK if error is None else RunStatus.STOPPED, self.created, self.updated,
            self.unchanged, self.rejected, tuple(self.rejects), self.tier_changes, tuple(self.moves),
            self.records, seconds, error,
        )  # fmt: skip


@dataclass(frozen=True)
class _Lease:
    holder: str
    now: datetime
    started: float  # time.monotonic() at the start

    def clock(self) -> datetime:
        """`now` plus the time this run has taken: lease renewals must follow real time, or a run
        longer than the lease would let another take its source over while it still writes."""
        return self.now + timedelta(seconds=time.monotonic() - self.started)


def _run(
    db: Database,
    source: str,
    now: datetime,
    body: Callable[[_Lease, _Tally], None],
) -> SyncSummary:
    holder = state.holder_id()
    busy = state.acquire(db, source, holder, now)
    if busy is not None:
        raise SyncBusy(source, f"another sync of {source} is running: {busy}; try again when it ends")
    tally = _Tally()
    started = time.monotonic()
    error: str | None = None
    try:
        body(_Lease(holder, now, started), tally)
    except SyncError as exc:
        error = str(exc)
        log.error("sync %s stopped: %s", source, error)
    finally:
        seconds = time.monotonic() - started
        state.finish(
            db, source, now, records=tally.records, seconds=seconds, stats=tally.stats(), error=error
        )
        state.release(db, source, holder)
    return tally.summary(source, seconds, error)


def sync_accounts(
    db: Database,
    policy: Policy,
    now: datetime,
    source_client: AccountSource,
    full: bool = False,
    progress: Progress | None = None,
) -> SyncSummary:
    """Read changed (or, with `full`, all) accounts from a CRM and apply them page by page."""
    source = source_client.name
    mapping = policy.sync.hubspot if source == "hubspot" else policy.sync.salesforce
    normalise = Normaliser(mapping)
    tiers = Tiers(policy, now)

    def body(lease: _Lease, tally: _Tally) -> None:
        cursor = state.read_cursor(db, source)
        for page in grouped(
            prefetch(source_client.pages(cursor, full, list(mapping.fields.mapped().values())))
        ):
            with db.session() as session:
                state.save_cursor(session, source, page.cursor, lease.holder, lease.clock())
                result = apply_page(session, source, page.records, normalise, tiers, now)
                state.add_rejects(session, source, result.rejects, now)
            tally.add(result, len(page.records))
            if progress is not None:
                progress(tally.records, page.total)

    return _run(db, source, now, body)


def sync_tickets(
    db: Database,
    policy: Policy,
    now: datetime,
    helpdesk: HelpdeskSource,
    tier_field: str,
    full: bool = False,
    progress: Progress | None = None,
) -> SyncSummary:
    """Organizations first (so new tickets find their account), then tickets, from the helpdesk."""

    def orgs(lease: _Lease, tally: _Tally) -> None:
        for page in helpdesk.organization_pages(state.read_cursor(db, ORGS), full):
            with db.session() as session:
                state.save_cursor(session, ORGS, page.cursor, lease.holder, lease.clock())
                result = apply_orgs(session, page.records, tier_field, now)
                state.add_rejects(session, ORGS, result.rejects, now)
            tally.add(result, len(page.records))

    org_summary = _run(db, ORGS, now, orgs)
    if org_summary.error is not None:
        return org_summary
    source = helpdesk.name

    def tickets(lease: _Lease, tally: _Tally) -> None:
        for page in prefetch(helpdesk.ticket_pages(state.read_cursor(db, source), full)):
            with db.session() as session:
                state.save_cursor(session, source, page.cursor, lease.holder, lease.clock())
                result = apply_tickets(session, policy, page.records, now)
                state.add_rejects(session, source, result.rejects, now)
                if result.created or result.updated:
                    bump_version(session, TICKETS)
            tally.add(result, len(page.records))
            if progress is not None:
                progress(tally.records, page.total)

    return _run(db, source, now, tickets)


@dataclass(frozen=True, slots=True)
class PushSummary:
    target: str
    status: RunStatus
    pushed: int
    failed: tuple[tuple[str, str], ...]  # (remote id, reason)
    seconds: float
    error: str | None = None


def changed_tiers(db: Database, target: str = TARGET) -> list[tuple[str, int, str]]:
    """(organization id, account id, tier) of linked organizations whose tier differs from the last
    one written (or read) there."""
    pushed = PushedTier.__table__.c
    with db.session() as session:
        rows = session.execute(
            select(SyncLink.remote_id, Account.id, Account.tier)
            .join(Account, Account.id == SyncLink.account_id)
            .outerjoin(PushedTier, and_(pushed.target == target, pushed.remote_id == SyncLink.remote_id))
            .where(SyncLink.source == ORGS, or_(pushed.tier.is_(None), pushed.tier != Account.tier))
            .order_by(SyncLink.remote_id)
        )
        return [(r.remote_id, r.id, r.tier) for r in rows]


def push_tiers(db: Database, now: datetime, helpdesk: HelpdeskSource, tier_field: str) -> PushSummary:
    """Write changed tiers to the helpdesk organization field, 100 organizations per update_many job;
    every successful write is recorded so it is not repeated."""
    target = f"push-{TARGET}"
    pushed = 0
    failed: list[tuple[str, str]] = []

    def body(lease: _Lease, tally: _Tally) -> None:
        nonlocal pushed
        todo = changed_tiers(db)
        for start in range(0, len(todo), PUSH_BATCH):
            chunk = todo[start : start + PUSH_BATCH]
            result = helpdesk.set_organization_field(tier_field, [(org, tier) for org, _, tier in chunk])
            done = set(result.done)
            rows = [
                {"target": TARGET, "remote_id": org, "account_id": account, "tier": tier, "pushed_at": now}
                for org, account, tier in chunk
                if org in done
            ]
            with db.session() as session:
                upsert_rows(session, PushedTier, ("target", "remote_id"), rows)
                state.renew(session, target, lease.holder, lease.clock())
            pushed += len(rows)
            failed.extend(result.failed)
            tally.add(PageResult(updated=len(rows)), len(chunk))

    summary = _run(db, target, now, body)
    return PushSummary(TARGET, summary.status, pushed, tuple(failed), summary.seconds, summary.error)


@dataclass(frozen=True, slots=True)
class SourceStatus:
    source: str
    last_started_at: datetime | None
    last_success_at: datetime | None
    last_error: str | None
    last_error_at: datetime | None
    cursor: str | None
    records: int
    seconds: float
    stats: dict[str, int]
    running: bool
    rejects: tuple[Reject, ...]

    @property
    def records_per_second(self) -> float:
        return self.records / self.seconds if self.seconds > 0 else 0.0


def sync_status(db: Database, now: datetime) -> list[SourceStatus]:
    """Each source's last run, cursor and last rejects. Holds no credential: none is stored."""
    out = []
    for row in state.states(db):
        rejects = tuple(Reject(r.record_id, r.field, r.reason) for r in state.last_rejects(db, row.source))
        running = row.lease_holder is not None and row.lease_until is not None and row.lease_until >= now
        out.append(
            SourceStatus(
                row.source,
                row.last_started_at,
                row.last_success_at,
                row.last_error,
                row.last_error_at,
                row.cursor,
                row.last_records,
                row.last_seconds,
                dict(row.last_stats or {}),
                running,
                rejects,
            )
        )
    return out


def link_sources(settings: Settings) -> LinkSources:
    """The hosts of the configured sources whose record links are resolved (and unfurled)."""
    return sources.link_sources(settings)


def resolve_links(
    session: Session,
    policy: Policy,
    now: datetime,
    link_hosts: LinkSources,
    urls: Iterable[object],
    *,
    at_risk_share: float = 0.25,
) -> list[LinkContext]:
    """Pasted URLs -> what tierbot knows of each record link among them (at most `links.MAX_LINKS`, in
    the order pasted): the account's tier, owner and open breaches, and for a ticket its SLA clocks as
    of `now`. URLs of other hosts, other pages or malformed ones are left out; a record tierbot has not
    stored comes back UNKNOWN. Reads only: a few indexed queries per link."""
    return links.resolve_links(session, policy, now, link_hosts, urls, at_risk_share)
