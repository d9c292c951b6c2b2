"""The `alert_due` rows: the next time anything of a ticket's target is due, kept so a tick is one query.

Rows are recomputed (1) for every open ticket when the tickets data version or the policy's alert and
SLA settings change since the last rebuild (imports and syncs bump that version, so a new ticket, a
first response or a status change is picked up on the next tick), and (2) for the tickets a tick
handles. An idle tick is therefore two primary-key reads and one indexed range query.
"""

from __future__ import annotations

import zlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, insert, select, tuple_
from sqlalchemy.orm import Session

from bot.alerts.ladder import Ladder, TargetPlan, Track, plan, track
from bot.alerts.model import StepKind, TicketFacts
from bot.policy.model import Policy, SlaTarget, Tier
from bot.sla.calendar import Timeline, timeline
from bot.sla.clock import FIRST_RESPONSE, RESOLUTION, Times
from bot.sla.sqltime import epoch
from storage.models import Account
from storage.models.alerts import AlertAck, AlertDue, AlertEvent, AlertSync
from storage.models.tickets import Ticket, TicketEvent, is_open
from storage.versions import TICKETS, read_version

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

    def tier(self, key: str) -> tuple[Tier, int, Ladder] | None:
        try:
            tier = self.policy.tier(key)
        except KeyError:
            return None
        return tier, self.policy.rank(key), Ladder(tier.alerts, tuple(e.after for e in tier.escalation))

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
    epoch(Ticket.solved_at), Account.slack_channel, Account.owner,
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
            facts = TicketFacts(*row)  # type: ignore[call-arg]  # the 14 columns, in order
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
        target = tiers.target(entry[0].tier, entry[0].severity) if entry is not None else None
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
    if rows:
        session.execute(insert(AlertDue), rows)


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


def _sync_values(session: Session, policy: Policy) -> dict[str, int]:
    return {"tickets": read_version(session, TICKETS), "policy": policy_fingerprint(policy)}


def needs_rebuild(session: Session, policy: Policy) -> dict[str, int] | None:
    """The values to store after a rebuild, or None when `alert_due` is current."""
    wanted = _sync_values(session, policy)
    stored = {name: version for name, version in session.execute(select(AlertSync.name, AlertSync.version))}
    return None if stored == wanted else wanted


def rebuild(session: Session, tiers: Tiers, now: datetime, settings: Settings, ids: Sequence[str] | None = None) -> int:  # fmt: skip
    """Recompute the rows of these tickets (default: every open ticket); returns how many tickets."""
    targeted = ids is not None
    if ids is None:
        ids = list(session.scalars(select(Ticket.id).where(is_open()).order_by(Ticket.id)))
        session.execute(delete(AlertDue))
    else:
        ids = sorted(set(ids))
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        pairs = [(t, m) for t in chunk for m in METRICS]
        evaluated, _gone = evaluate(session, tiers, now, pairs, settings)
        rows = [r for e in evaluated if (r := _row(e, now, pending=True)) is not None]
        write_rows(session, pairs if targeted else [], rows)
    return len(ids)


def mark_synced(session: Session, values: dict[str, int]) -> None:
    session.execute(delete(AlertSync))
    session.execute(insert(AlertSync), [{"name": k, "version": v} for k, v in values.items()])


def due_pairs(session: Session, kind: StepKind, now: datetime, limit: int) -> list[tuple[str, str]]:
    """The (ticket, target) pairs whose next step (or escalation level) is due: one indexed range scan."""
    column = AlertDue.next_step_at if kind is StepKind.STEP else AlertDue.next_escalation_at
    stmt = select(AlertDue.ticket_id, AlertDue.target).where(column <= now).order_by(column).limit(limit)
    return [(t, m) for t, m in session.execute(stmt)]
