"""The `alert_due` rows: the next time anything of a ticket's target is due, kept so a tick is one query.

Rows are recomputed (1) for every open ticket when the policy's alert and SLA settings change since the
last rebuild, (2) for the tickets written since, when the tickets data version moved (imports and
syncs bump it, so a new ticket, a first response or a status change is picked up on the next tick),
(3) for the open tickets of accounts whose tier changed since (an import, a sync, an override, a
policy recompute: every one writes a `tier_history` row, and bumps the accounts data version), and
(4) for the tickets a tick handles. An idle tick is therefore two small reads and one indexed range
query.

A ticket runs on the SLA targets of the tier it was opened in (`Ticket.sla_tier`, the README's rule
that the card, digests and reports follow), and on the alert ladder, escalation levels and alert
channel of its account's tier now: a Starter ticket whose account is lifted to Enterprise keeps its
Starter deadline and is chased by the Enterprise ladder from then on (its -60m step included).
"""

from __future__ import annotations

import zlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, delete, func, insert, select, tuple_
from sqlalchemy.orm import Session

from bot.alerts.ladder import Ladder, TargetPlan, Track, plan, track
from bot.alerts.model import StepKind, TicketFacts
from bot.policy.model import Policy, SlaTarget, Tier
from bot.sla.calendar import Timeline, timeline
from bot.sla.clock import FIRST_RESPONSE, RESOLUTION, Times
from bot.sla.sqltime import epoch
from storage.models import Account, TierChange
from storage.models.alerts import AlertAck, AlertDue, AlertEvent, AlertSync
from storage.models.tickets import Ticket, TicketEvent, is_open
from storage.versions import ACCOUNTS, TICKETS, read_versions

ALERT_DUE = cast(Table, AlertDue.__table__)
CHUNK = 2000  # ticket ids per query (well under SQLite's 32,766 bound parameters)
METRICS = (FIRST_RESPONSE, RESOLUTION)


@dataclass(frozen=True)
class Settings:
    """The settings values the ladder needs (not the Settings object)."""

    late_after: timedelta  # posted later than this after the step was reached: marked late
    grace: timedelta  # reached longer ago than this: skipped with the reason


@dataclass(frozen=True)
class Evaluated:
    facts: TicketFacts
    tier: Tier
    tier_rank: int
    clock: Track
    plan: TargetPlan


class Tiers:
    """Per policy: each tier's ladder and rank, each (tier, severity)'s target and timeline, once."""

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self._targets: dict[tuple[str, str], tuple[SlaTarget, Timeline] | None] = {}
        self._tiers: dict[str, tuple[Tier, int, Ladder] | None] = {}

    def tier(self, key: str) -> tuple[Tier, int, Ladder] | None:
        if key not in self._tiers:
            try:
                tier = self.policy.tier(key)
                ladder = Ladder(tier.alerts, tuple(e.after for e in tier.escalation))
                self._tiers[key] = (tier, self.policy.rank(key), ladder)
            except KeyError:
                self._tiers[key] = None
        return self._tiers[key]

    def target(self, tier: str, severity: str) -> tuple[SlaTarget, Timeline] | None:
        key = (tier, severity)
        if key not in self._targets:
            try:
                sla = self.policy.tier(tier).sla[severity]
                self._targets[key] = (sla, timeline(self.policy.calendars[sla.calendar]))
            except KeyError:
                self._targets[key] = None
        return self._targets[key]


def policy_fingerprint(policy: Policy) -> int:
    """Changes when anything that moves a due time changes: ladders, levels, targets, calendars."""
    parts = [
        (t.key, t.alerts, [e.after for e in t.escalation], {k: v.model_dump() for k, v in t.sla.items()})
        for t in policy.tiers
    ]
    calendars = {k: c.model_dump(mode="json") for k, c in policy.calendars.items()}
    return zlib.crc32(repr((parts, sorted(calendars.items()))).encode()) & 0x7FFFFFFF


_FACT_COLUMNS = (  # in TicketFacts order
    Ticket.id, Ticket.account_id, Account.name, Account.tier, Account.acv, Ticket.severity, Ticket.subject,
    Ticket.assignee, Ticket.status, epoch(Ticket.created_at), epoch(Ticket.first_response_at),
    epoch(Ticket.solved_at), Account.slack_channel, Account.owner, Ticket.sla_tier,
)  # fmt: skip


def load_facts(
    session: Session, ids: Sequence[str]
) -> dict[str, tuple[TicketFacts, list[tuple[float, str]]]]:
    """Open tickets among `ids` with their accounts and status events (epoch seconds)."""
    found: dict[str, tuple[TicketFacts, list[tuple[float, str]]]] = {}
    conn = session.connection()
    for start in range(0, len(ids), CHUNK):
        chunk = list(ids[start : start + CHUNK])
        rows = conn.execute(
            select(*_FACT_COLUMNS)
            .join(Account, Account.id == Ticket.account_id)
            .where(Ticket.id.in_(chunk), is_open())
        )
        events: dict[str, list[tuple[float, str]]] = defaultdict(list)
        for ticket_id, at, status in conn.execute(
            select(TicketEvent.ticket_id, epoch(TicketEvent.at), TicketEvent.status)
            .where(TicketEvent.ticket_id.in_(chunk))
            .order_by(TicketEvent.ticket_id, TicketEvent.at)
        ):
            events[ticket_id].append((at, status))
        for row in rows:
            facts = TicketFacts(*row)  # type: ignore[call-arg]  # the 15 columns, in order
            found[facts.ticket_id] = (facts, events.get(facts.ticket_id, []))
    return found


def recorded_for(session: Session, ids: Sequence[str]) -> dict[tuple[str, str], frozenset[tuple[str, str]]]:
    """(ticket, target) -> the (kind, step) pairs already fired or skipped."""
    seen: dict[tuple[str, str], set[tuple[str, str]]] = defaultdict(set)
    for start in range(0, len(ids), CHUNK):
        chunk = list(ids[start : start + CHUNK])
        for ticket_id, target, kind, step in session.execute(
            select(AlertEvent.ticket_id, AlertEvent.target, AlertEvent.kind, AlertEvent.step).where(
                AlertEvent.ticket_id.in_(chunk)
            )
        ):
            seen[(ticket_id, target)].add((kind, step))
    return {key: frozenset(value) for key, value in seen.items()}


def acks_for(session: Session, ids: Sequence[str]) -> dict[tuple[str, str], AlertAck]:
    found: dict[tuple[str, str], AlertAck] = {}
    for start in range(0, len(ids), CHUNK):
        chunk = list(ids[start : start + CHUNK])
        for row in session.scalars(select(AlertAck).where(AlertAck.ticket_id.in_(chunk))):
            found[(row.ticket_id, row.target)] = row
    return found


def evaluate(
    session: Session,
    tiers: Tiers,
    now: datetime,
    pairs: Iterable[tuple[str, str]],
    settings: Settings,
) -> tuple[list[Evaluated], list[tuple[str, str]]]:
    """Plans for these (ticket, target) pairs, and the pairs that no longer need a row."""
    wanted = sorted(set(pairs))
    ids = sorted({ticket_id for ticket_id, _ in wanted})
    facts = load_facts(session, ids)
    recorded = recorded_for(session, ids)
    acks = acks_for(session, ids)
    now_ts = now.timestamp()
    out: list[Evaluated] = []
    gone: list[tuple[str, str]] = []
    for ticket_id, metric in wanted:
        entry = facts.get(ticket_id)
        about = tiers.tier(entry[0].tier) if entry is not None else None
        # The targets of the tier the ticket was opened in; one the policy no longer has falls back
        # to the account's tier now, as on the card (bot.sla.state).
        target = (
            tiers.target(entry[0].sla_tier, entry[0].severity)
            or tiers.target(entry[0].tier, entry[0].severity)
            if entry is not None
            else None
        )
        if entry is None or about is None or target is None:
            gone.append((ticket_id, metric))  # solved, closed, deleted, or no SLA in the policy
            continue
        f, events = entry
        tier, rank, ladder = about
        sla, tl = target
        minutes = sla.first_response if metric == FIRST_RESPONSE else sla.resolution
        times = Times(f.status, f.created, f.first_response, f.solved)
        clock = track(metric, minutes, tl, times, events, now_ts)
        ack = acks.get((ticket_id, metric))
        result = plan(
            clock,
            ladder,
            recorded.get((ticket_id, metric), frozenset()),
            now,
            acked=ack is not None and ack.acked_by is not None,
            snoozed_until=ack.snoozed_until if ack is not None else None,
            late_after=settings.late_after,
            grace=settings.grace,
        )
        out.append(Evaluated(f, tier, rank, clock, result))
    return out, gone


def write_rows(session: Session, pairs: Sequence[tuple[str, str]], rows: list[dict[str, Any]]) -> None:
    """Replace the rows of these (ticket, target) pairs (delete + insert is portable and batched)."""
    for start in range(0, len(pairs), CHUNK):
        chunk = list(pairs[start : start + CHUNK])
        session.execute(delete(AlertDue).where(tuple_(AlertDue.ticket_id, AlertDue.target).in_(chunk)))
    if rows:  # Core, not the ORM's bulk path: one executemany, no per-row bookkeeping
        session.connection().execute(insert(ALERT_DUE), rows)


def _row(e: Evaluated, now: datetime, pending: bool) -> dict[str, Any] | None:
    p = e.plan
    if p.done:
        return None
    step_at, esc_at = p.next_step_at, p.next_escalation_at
    if pending:  # a rebuild acts on nothing: what is due already is due now
        if any(d.kind is StepKind.STEP for d in p.decisions):
            step_at = now
        if any(d.kind is StepKind.ESCALATION for d in p.decisions):
            esc_at = now
    if step_at is None and esc_at is None:
        return None
    return {
        "ticket_id": e.facts.ticket_id,
        "target": e.clock.metric,
        "next_step_at": step_at,
        "next_escalation_at": esc_at,
        "updated_at": now,
    }


@dataclass(frozen=True)
class SyncPlan:
    """What changed since `alert_due` was last brought up to date, and what to store once it is."""

    full: bool  # policy changed (or first run): every open ticket
    updated_since: datetime  # else: tickets written at or after this ...
    events_after: int  # ... tickets with status events newer than this id ...
    tier_changes_after: int  # ... and the open tickets of accounts with tier changes newer than this id
    store: dict[str, int]


def sync_plan(session: Session, policy: Policy) -> SyncPlan | None:
    """None when nothing changed: two small reads, which is all an idle tick costs besides the range scan."""
    stored = {name: version for name, version in session.execute(select(AlertSync.name, AlertSync.version))}
    versions = read_versions(session)  # a handful of rows
    version, accounts, fingerprint = (
        versions.get(TICKETS, 0),
        versions.get(ACCOUNTS, 0),
        policy_fingerprint(policy),
    )
    if (
        stored.get("tickets") == version
        and stored.get("accounts") == accounts
        and stored.get("policy") == fingerprint
    ):
        return None
    # Watermarks for the next incremental sync (whole seconds, compared with >=: never too late).
    newest = session.scalar(select(func.max(Ticket.updated_at)))
    last_event = session.scalar(select(func.max(TicketEvent.id))) or 0
    last_tier_change = session.scalar(select(func.max(TierChange.id))) or 0
    store = {
        "tickets": version,
        "accounts": accounts,
        "policy": fingerprint,
        "tickets_updated": int(newest.timestamp()) if newest is not None else 0,
        "events": int(last_event),
        "tier_changes": int(last_tier_change),
    }
    full = (
        stored.get("policy") != fingerprint or "tickets_updated" not in stored or "tier_changes" not in stored
    )
    since = datetime.fromtimestamp(stored.get("tickets_updated", 0), UTC)
    return SyncPlan(full, since, stored.get("events", 0), stored.get("tier_changes", 0), store)


def changed_tickets(session: Session, plan: SyncPlan) -> list[str]:
    """Tickets an import or sync wrote since the last sync, whose status history grew, or whose account
    changed tier (its ladder did: a step may now be due sooner, or no longer at all)."""
    ids = set(session.scalars(select(Ticket.id).where(Ticket.updated_at >= plan.updated_since)))
    ids.update(
        session.scalars(select(TicketEvent.ticket_id).where(TicketEvent.id > plan.events_after).distinct())
    )
    moved = select(TierChange.account_id).where(TierChange.id > plan.tier_changes_after)
    ids.update(session.scalars(select(Ticket.id).where(Ticket.account_id.in_(moved), is_open())))
    return sorted(ids)


def rebuild(session: Session, tiers: Tiers, now: datetime, settings: Settings, ids: Sequence[str] | None = None) -> int:  # fmt: skip
    """Recompute the rows of these tickets (default: every open ticket); returns how many tickets.

    Everything is computed before anything is written, so the write lock (SQLite) is held for the
    final delete and insert only, not for the seconds a full rebuild of 30,000 tickets computes."""
    targeted = ids is not None
    ids = sorted(set(ids)) if ids is not None else list(session.scalars(select(Ticket.id).where(is_open()).order_by(Ticket.id)))  # fmt: skip
    rows: list[dict[str, Any]] = []
    for start in range(0, len(ids), CHUNK):
        pairs = [(t, m) for t in ids[start : start + CHUNK] for m in METRICS]
        evaluated, _gone = evaluate(session, tiers, now, pairs, settings)
        rows.extend(r for e in evaluated if (r := _row(e, now, pending=True)) is not None)
    if targeted:
        write_rows(session, [(t, m) for t in ids for m in METRICS], rows)
    else:
        session.execute(delete(AlertDue))
        write_rows(session, [], rows)
    return len(ids)


def mark_synced(session: Session, values: dict[str, int]) -> None:
    session.execute(delete(AlertSync))
    session.execute(insert(AlertSync), [{"name": k, "version": v} for k, v in values.items()])


def due_pairs(session: Session, kind: StepKind, now: datetime, limit: int) -> list[tuple[str, str]]:
    """The (ticket, target) pairs whose next step (or escalation level) is due: one indexed range scan."""
    column = AlertDue.next_step_at if kind is StepKind.STEP else AlertDue.next_escalation_at
    stmt = select(AlertDue.ticket_id, AlertDue.target).where(column <= now).order_by(column).limit(limit)
    return [(t, m) for t, m in session.execute(stmt)]
