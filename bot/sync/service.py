"""The front door of live data: sync accounts from a CRM, tickets from the helpdesk, push tiers back.

Each run holds its source's lease (a second run refuses with SyncBusy), streams pages, and applies
each page in one transaction together with the cursor past it: a crash between pages resumes at the
first page not applied, and none is applied twice. A run that stops (rate limit, credentials, server
errors past the retry bound) keeps every page applied so far and records why it stopped.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from bot.config import Settings
from bot.policy.model import Policy
from bot.sync import links, sources, state
from bot.sync.accounts import PageResult, Tiers, apply_page, mark_removed
from bot.sync.errors import BatchRefused, SyncError
from bot.sync.helpdesk import ORGS, apply_orgs, apply_tickets, upsert_rows
from bot.sync.link_urls import LinkSources
from bot.sync.links import LinkContext
from bot.sync.prefetch import grouped, prefetch
from bot.sync.push import (
    RECORD,
    PushTarget,
    changed_tiers,
    held_back,
    record_failures,
    record_seen,
    zendesk_target,
)
from bot.sync.records import Normaliser, Reject
from bot.sync.run import KEPT_REJECTS, Lease, Tally, run_leased
from bot.sync.run import RunStatus as RunStatus  # the front door's result types
from bot.sync.run import SyncSummary as SyncSummary
from bot.sync.types import AccountSource, HelpdeskSource, JobResult
from storage.db import Database
from storage.models.sync import PushedTier
from storage.versions import TICKETS, bump_version

log = logging.getLogger(__name__)

REMOVED_READ_AT = "removed_read_at"  # the sync state's mark: when the removed records were last read
PUSH_BATCH = 100
# (records done, total or None): called once per page.
Progress = Callable[[int, "int | None"], None]


def _parse_mark(value: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if value else None
    except ValueError:
        return None


def sync_accounts(
    db: Database,
    policy: Policy,
    now: datetime,
    source_client: AccountSource,
    full: bool = False,
    progress: Progress | None = None,
    tier_field: str | None = None,
) -> SyncSummary:
    """Read changed (or, with `full`, all) accounts from a CRM and apply them page by page. With
    `tier_field` (HUBSPOT_TIER_PROPERTY, SALESFORCE_TIER_FIELD) the tier each record holds there is
    read too, so that a push writes only the records whose tier differs."""
    source = source_client.name
    mapping = policy.sync.hubspot if source == "hubspot" else policy.sync.salesforce
    normalise = Normaliser(mapping)
    tiers = Tiers(policy, now)
    fields = list(mapping.fields.mapped().values())
    if tier_field and tier_field not in fields:
        fields.append(tier_field)

    def body(lease: Lease, tally: Tally) -> None:
        cursor = state.read_cursor(db, source)
        for page in grouped(prefetch(source_client.pages(cursor, full, fields))):
            with db.session() as session:
                state.save_cursor(session, source, page.cursor, lease.holder, lease.clock())
                result = apply_page(session, source, page.records, normalise, tiers, now)
                state.add_rejects(session, source, result.rejects, now)
                if tier_field:
                    record_seen(session, source, page.records, tier_field, now)
            tally.add(result, len(page.records))
            if progress is not None:
                progress(tally.records, page.total)
        marks = state.read_marks(db, source)
        every = source_client.removed_every
        read_at = _parse_mark(marks.get(REMOVED_READ_AT))
        if not full and every is not None and read_at is not None and now - read_at < every:
            tally.notes.append(
                f"archived records not read (last read {read_at:%Y-%m-%d %H:%M} UTC; "
                f"read on full syncs and once every {every.total_seconds() / 3600:.0f} h)"
            )
            return
        for removed in source_client.removed(now, marks):  # archived or deleted there: marked, never deleted
            with db.session() as session:
                marked = mark_removed(session, source, removed.records, now)
                state.save_marks(session, source, dict(removed.marks), now)
                state.renew(session, source, lease.holder, lease.clock())
            tally.add(PageResult(deleted=marked), 0)
            if removed.note:
                tally.notes.append(removed.note)
        with db.session() as session:
            state.save_marks(session, source, {REMOVED_READ_AT: now.isoformat()}, now)

    return run_leased(db, source, now, body)


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

    def orgs(lease: Lease, tally: Tally) -> None:
        for page in helpdesk.organization_pages(state.read_cursor(db, ORGS), full):
            with db.session() as session:
                state.save_cursor(session, ORGS, page.cursor, lease.holder, lease.clock())
                result = apply_orgs(session, page.records, tier_field, now)
                state.add_rejects(session, ORGS, result.rejects, now)
            tally.add(result, len(page.records))

    org_summary = run_leased(db, ORGS, now, orgs)
    if org_summary.error is not None:
        return org_summary
    source = helpdesk.name

    def tickets(lease: Lease, tally: Tally) -> None:
        for page in prefetch(helpdesk.ticket_pages(state.read_cursor(db, source), full)):
            with db.session() as session:
                state.save_cursor(session, source, page.cursor, lease.holder, lease.clock())
                result = apply_tickets(session, policy, page.records, now)
                state.add_rejects(session, source, result.rejects, now)
                if result.created or result.updated or result.deleted:
                    bump_version(session, TICKETS)  # cached /tier cards and digests see the tickets
            tally.add(result, len(page.records))
            if progress is not None:
                progress(tally.records, page.total)

    return run_leased(db, source, now, tickets)


@dataclass(frozen=True, slots=True)
class PushSummary:
    target: str
    status: RunStatus
    pushed: int
    failed: tuple[tuple[str, str], ...]  # (remote id, reason), the first KEPT_REJECTS
    seconds: float
    error: str | None = None
    failures: int = 0  # all of them
    field: str = ""  # the field or property written
    skipped: int = 0  # refused before with the same tier, less than push.RETRY_AFTER ago: not sent


def push_all(
    db: Database,
    settings: Settings,
    now: datetime,
    *,
    targets: Sequence[str] | None = None,
    skip: Collection[str] = (),
) -> list[PushSummary]:
    """Push changed tiers to each target (default: every configured one) but those in `skip` (a CRM
    whose sync just stopped on its credentials: a push would get the same 401). A target that cannot
    start (not configured, busy) comes back STOPPED with the reason."""
    out: list[PushSummary] = []
    for name in targets if targets is not None else sources.push_targets(settings):
        if name in skip:
            continue
        try:
            with sources.open_push_target(settings, name) as target:
                out.append(push_target(db, now, target))
        except SyncError as exc:
            out.append(PushSummary(name, RunStatus.STOPPED, 0, (), 0.0, exc.message))
    return out


def push_target(db: Database, now: datetime, target: PushTarget) -> PushSummary:
    """Write changed tiers to one target, `target.batch` records per call. Each written record is
    recorded (PushedTier) with the run's lease renewal, so a stopped run resumes with what is left;
    each record the vendor refused is named in the summary and kept as a reject of "push-{target}"
    (`tierbot sync status`), and is sent again only when its tier changes or after push.RETRY_AFTER.
    A batch refused as a whole (HubSpot's 400 VALIDATION_ERROR for one bad value) is split until
    the refused record is found; the others are written."""
    pushed = 0
    failures = 0
    failed: list[tuple[str, str]] = []

    skipped = 0

    def write(chunk: list[tuple[str, int, str]]) -> JobResult:
        """One write; a batch refused as a whole (a 4xx that is not 401 or 429) is split in two until
        the refused record stands alone and is failed by itself: the rest is written."""
        try:
            return target.write([(remote, tier) for remote, _, tier in chunk])
        except BatchRefused as exc:
            if len(chunk) == 1:
                return JobResult([], [(chunk[0][0], exc.message[:200])])
            half = len(chunk) // 2
            first, second = write(chunk[:half]), write(chunk[half:])
            return JobResult([*first.done, *second.done], [*first.failed, *second.failed])

    def body(lease: Lease, tally: Tally) -> None:
        nonlocal pushed, failures, skipped
        held = held_back(db, target.name, now)
        changed = changed_tiers(db, target.name)
        todo = [row for row in changed if held.get(row[0]) != row[2]]
        skipped = len(changed) - len(todo)
        for start in range(0, len(todo), target.batch):
            chunk = todo[start : start + target.batch]
            result = write(chunk)
            done = set(result.done)
            refused = {remote for remote, _ in result.failed}
            rows = [
                {"target": target.name, "remote_id": remote, "account_id": account, "tier": tier,
                 "pushed_at": now}
                for remote, account, tier in chunk
                if remote in done
            ]  # fmt: skip
            what = RECORD.get(target.name, "record")
            rejects = [
                Reject(remote, target.field, f"{what} {remote}: {why}") for remote, why in result.failed
            ]
            with db.session() as session:
                upsert_rows(session, PushedTier, ("target", "remote_id"), rows)
                record_failures(
                    session, target.name, [row for row in chunk if row[0] in refused], sorted(done), now
                )
                state.add_rejects(session, target.lease, rejects, now)
                state.renew(session, target.lease, lease.holder, lease.clock())
            pushed += len(rows)
            failures += len(result.failed)
            failed.extend(result.failed[: KEPT_REJECTS - len(failed)])
            tally.add(PageResult(updated=len(rows), rejects=rejects), len(chunk))

    summary = run_leased(db, target.lease, now, body)
    return PushSummary(
        target.name, summary.status, pushed, tuple(failed), summary.seconds, summary.error, failures,
        target.field, skipped,
    )  # fmt: skip


def push_tiers(db: Database, now: datetime, helpdesk: HelpdeskSource, tier_field: str) -> PushSummary:
    """Write changed tiers to the helpdesk organization field, 100 organizations per update_many job."""
    return push_target(db, now, zendesk_target(helpdesk, tier_field, PUSH_BATCH))


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
