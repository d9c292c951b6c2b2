"""Where every open ticket stands against its SLA, streamed, and how to rank what is at stake."""

from __future__ import annotations

import heapq
import logging
import math
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, Connection, Select, select
from sqlalchemy.orm import Session

from bot.policy.model import SEVERITIES, Policy
from bot.sla.clock import (
    AT_RISK,
    BREACHED,
    OK,
    Metric,
    SlaState,
    Times,
    first_response_reading,
    resolution_reading,
)
from bot.sla.sqltime import epoch
from bot.sla.targets import Targets
from storage.models import Account
from storage.models.tickets import Ticket, TicketEvent, is_open

log = logging.getLogger(__name__)

BATCH = 2000  # rows per fetch from a server-side cursor; ticket ids per query in events_by_ticket
_STATE_ORDER = {BREACHED: 0, AT_RISK: 1, OK: 2}


@dataclass(frozen=True)
class TicketState:
    ticket_id: str
    account_id: int
    account_name: str
    tier: str
    acv: Decimal
    severity: str
    subject: str
    assignee: str | None
    metric: Metric
    state: SlaState
    due_at: datetime  # for a paused clock: when it would be due if it resumed now
    minutes_left: int  # open minutes on the SLA calendar; negative when overdue
    target_minutes: int
    tier_rank: int = 0  # policy rank, 0 = lowest tier; kept so ranking needs no policy
    paused: bool = False  # resolution clock stopped while waiting on the customer


def stake_key(state: TicketState) -> tuple[Any, ...]:
    """THE ranking of what is at stake (the digest, `tierbot digest show`, alerts): sort ascending,
    most at stake first. Each criterion only breaks ties of the ones before it:

    1. tier, highest first: the tiers encode what was promised (shorter targets, service credits);
    2. state: breached before at risk (a broken promise before one that may still be kept);
    3. severity, sev1 first (a severity the policy does not know comes after sev4): an outage before
       a question;
    4. ACV, highest first: the money behind the ticket;
    5. how far over, most overdue first (for at-risk tickets: closest to due first);
    6. ticket id, then metric: a stable order for equal stakes.
    """
    return (
        *stakes(
            state.tier_rank, _STATE_ORDER.get(state.state, 3), state.severity, state.acv, state.minutes_left
        ),
        state.ticket_id,
        state.metric,
    )


def stakes(
    tier_rank: int, state_order: int, severity: str, acv: Decimal, minutes_left: int
) -> tuple[Any, ...]:
    """`stake_key`'s rule on plain values, for rankings that hold no TicketState (the pre-breach alerts):
    `state_order` 0 = breached, 1 = at risk (or not yet due), 2 = fine."""
    rank = SEVERITIES.index(severity) if severity in SEVERITIES else len(SEVERITIES)
    return (-tier_rank, state_order, rank, -acv, minutes_left)


def top_at_stake(states: Iterable[TicketState], limit: int) -> list[TicketState]:
    """The `limit` breached or at-risk states most at stake, in bounded memory."""
    return heapq.nsmallest(limit, (s for s in states if s.state != OK), key=stake_key)


def iter_open_ticket_states(
    session: Session,
    policy: Policy,
    now: datetime,
    at_risk_share: float = 0.25,
    tiers: set[str] | None = None,
    account_id: int | None = None,
) -> Iterator[TicketState]:
    """One state per running metric of every open ticket: first response until responded, resolution
    until solved. Tickets of tiers the policy does not know are skipped (and logged)."""
    conditions: list[ColumnElement[bool]] = []
    if tiers is not None:
        conditions.append(Ticket.sla_tier.in_(sorted(tiers)))  # the tier whose targets it runs on
    if account_id is not None:
        conditions.append(Ticket.account_id == account_id)
    return iter_states(session, policy, now, at_risk_share, conditions)


def events_by_ticket(session: Session, ticket_ids: Sequence[str]) -> dict[str, list[tuple[datetime, str]]]:
    """Status events of these tickets, oldest first, as datetimes."""
    found: dict[str, list[tuple[datetime, str]]] = defaultdict(list)
    for start in range(0, len(ticket_ids), BATCH):
        chunk = ticket_ids[start : start + BATCH]
        rows = session.connection().execute(
            select(TicketEvent.ticket_id, TicketEvent.at, TicketEvent.status)
            .where(TicketEvent.ticket_id.in_(chunk))
            .order_by(TicketEvent.ticket_id, TicketEvent.at)
        )
        for ticket_id, at, status in rows:
            found[ticket_id].append((at, status))
    return found


class _Histories:
    """Each ticket's status events, (epoch seconds, status), streamed in ticket order beside the
    tickets' own stream (both ordered the same way): one query for all of them, none per ticket."""

    __slots__ = ("_events", "_head")

    def __init__(
        self, conn: Connection, in_scope: Select[Any], event_order: Any, stream: dict[str, Any]
    ) -> None:
        stmt = (
            select(TicketEvent.ticket_id, epoch(TicketEvent.at), TicketEvent.status)
            .where(TicketEvent.ticket_id.in_(in_scope))
            .order_by(event_order, TicketEvent.at)
        )
        self._events = iter(conn.execute(stmt, execution_options=stream))
        self._head = next(self._events, None)

    def of(self, ticket_id: str) -> list[tuple[float, str]]:
        """The events of `ticket_id`; tickets must be asked in stream order."""
        head, events = self._head, self._events
        history: list[tuple[float, str]] = []
        while head is not None and head[0] < ticket_id:
            head = next(events, None)
        while head is not None and head[0] == ticket_id:
            history.append((head[1], head[2]))
            head = next(events, None)
        self._head = head
        return history


def iter_states(
    session: Session,
    policy: Policy,
    now: datetime,
    at_risk_share: float,
    conditions: Sequence[ColumnElement[bool]] = (),
    tier_override: str | None = None,
    tier_column: Any = Ticket.sla_tier,
) -> Iterator[TicketState]:
    """The engine behind `iter_open_ticket_states`, with arbitrary filters and a choice of tier.

    By default a ticket runs on the targets of the tier in force when it was opened (`sla_tier`,
    stored at import): the README's rule, the one helpdesks apply (an SLA policy is attached at
    creation), so an override or a tier move never re-judges a ticket already in flight. A tier the
    policy no longer has falls back to the account's current tier rather than hiding the ticket."""
    targets = Targets(policy)
    now_ts = now.timestamp()
    # Tickets and their events come as two streams in ticket-id order and are merged here, so memory
    # stays bounded whatever the number of open tickets. Byte order ("C") on PostgreSQL makes the
    # database's order Python's order, which the merge relies on to skip events it has no ticket for.
    order = Ticket.id.collate("C") if session.get_bind().dialect.name == "postgresql" else Ticket.id
    event_order = TicketEvent.ticket_id.collate("C") if order is not Ticket.id else TicketEvent.ticket_id
    scope = (is_open(), *conditions)
    stmt = (
        select(
            Ticket.id,
            Ticket.account_id,
            Account.name,
            tier_column,
            Account.tier,
            Account.acv,
            Ticket.severity,
            Ticket.subject,
            Ticket.assignee,
            Ticket.status,
            # Numbers, not datetimes: the clocks compute in epoch seconds (see bot.sla.sqltime).
            epoch(Ticket.created_at),
            epoch(Ticket.first_response_at),
            epoch(Ticket.solved_at),
        )
        .join(Account, Account.id == Ticket.account_id)
        .where(*scope)
        .order_by(order)
    )
    in_scope = select(Ticket.id).join(Account, Account.id == Ticket.account_id).where(*scope)
    # Core rows on the session's connection (no ORM loading); yield_per streams through server-side
    # cursors on PostgreSQL and fetches in batches on SQLite.
    conn = session.connection()
    stream = {"yield_per": BATCH}
    histories = _Histories(conn, in_scope, event_order, stream)
    for row in conn.execute(stmt, execution_options=stream):
        ticket_id, account_id, name, tier, account_tier, acv, severity, subject, assignee, status, *stamps = (
            row
        )
        history = histories.of(ticket_id)
        tier = targets.served_tier(tier_override or tier, account_tier, severity)
        found = targets.timed(tier, severity)
        if found is None:
            continue
        target, tl, rank = found
        times = Times(status, *stamps)
        if times.first_response is None:
            r = first_response_reading(times, target, tl, now_ts, at_risk_share)
            yield TicketState(
                ticket_id, account_id, name, tier, acv, severity, subject, assignee, r.metric, r.state,
                datetime.fromtimestamp(r.due_ts, UTC), math.floor(r.left / 60), r.target_minutes, rank,
            )  # fmt: skip
        r = resolution_reading(times, history, target, tl, now_ts, at_risk_share)
        yield TicketState(
            ticket_id, account_id, name, tier, acv, severity, subject, assignee, r.metric, r.state,
            datetime.fromtimestamp(r.due_ts, UTC), math.floor(r.left / 60), r.target_minutes, rank,
            not r.running and not r.stopped,
        )  # fmt: skip


class Breach(NamedTuple):
    """A running clock of an open ticket already past its target: what the per-tier report counts."""

    tier: str  # as `iter_states` assigns it (the served tier, else the account's current tier)
    created_ts: float  # the ticket's created_at, epoch seconds
    metric: Metric


def iter_breaches(session: Session, policy: Policy, now: datetime, at_risk_share: float) -> Iterator[Breach]:
    """`iter_states` reduced to its breached clocks, for counts: the same streams, targets, tier rule and
    clocks, but only the columns a count needs and no `TicketState` per clock (over 37,500 open tickets:
    0.37 s of CPU against 1.0-1.2 s for `iter_states`, bench/report.py)."""
    targets = Targets(policy)
    now_ts = now.timestamp()
    order = Ticket.id.collate("C") if session.get_bind().dialect.name == "postgresql" else Ticket.id
    event_order = TicketEvent.ticket_id.collate("C") if order is not Ticket.id else TicketEvent.ticket_id
    stmt = (
        select(
            Ticket.id,
            Ticket.sla_tier,
            Account.tier,
            Ticket.severity,
            Ticket.status,
            epoch(Ticket.created_at),
            epoch(Ticket.first_response_at),
            epoch(Ticket.solved_at),
        )
        .join(Account, Account.id == Ticket.account_id)
        .where(is_open())
        .order_by(order)
    )
    # Without `iter_states`' join: every ticket has its account (a NOT NULL foreign key), and
    # PostgreSQL hashed all 100,000 accounts for it (90 of the events query's 300 ms).
    in_scope = select(Ticket.id).where(is_open())
    conn = session.connection()
    stream = {"yield_per": BATCH}
    histories = _Histories(conn, in_scope, event_order, stream)
    for ticket_id, tier, account_tier, severity, status, *stamps in conn.execute(
        stmt, execution_options=stream
    ):
        history = histories.of(ticket_id)
        tier = targets.served_tier(tier, account_tier, severity)
        found = targets.timed(tier, severity)
        if found is None:
            continue
        target, tl, _ = found
        times = Times(status, *stamps)
        if times.first_response is None:
            r = first_response_reading(times, target, tl, now_ts, at_risk_share)
            if r.state == BREACHED:
                yield Breach(tier, times.created, r.metric)
        r = resolution_reading(times, history, target, tl, now_ts, at_risk_share)
        if r.state == BREACHED:
            yield Breach(tier, times.created, r.metric)
