"""Ranking open tickets by what is at stake, one line per ticket, in bounded memory.

The order between tickets is one rule, `bot.sla.state.stake_key` (tier, state, severity, ACV, how far
over; README "How the digest ranks"), shared with `tierbot digest show` and the alerts. This module
only applies it: which of a ticket's clocks stands for it, and keeping the top N of a stream."""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Generic, TypeVar

from bot.digest.model import DigestItem
from bot.sla.clock import AT_RISK, BREACHED
from bot.sla.state import TicketState, stake_key

T = TypeVar("T")

# Within one ticket: breached before at risk before ok, then the clock furthest over (or closest to due).
_STATE_ORDER = {BREACHED: 0, AT_RISK: 1}


def _worse(a: TicketState, b: TicketState) -> bool:
    """True when clock `a` of a ticket is worse than its clock `b`."""
    return (_STATE_ORDER.get(a.state, 2), a.minutes_left) < (_STATE_ORDER.get(b.state, 2), b.minutes_left)


def worst_per_ticket(states: Iterable[TicketState]) -> Iterator[TicketState]:
    """Collapse a ticket's clocks (first response, resolution) into its worse one.

    The SLA stream yields a ticket's clocks one after the other, so only the previous state is held; a
    stream that did not would list such a ticket twice, never lose it.
    """
    current: TicketState | None = None
    for state in states:
        if current is not None and state.ticket_id == current.ticket_id:
            if _worse(state, current):
                current = state
            continue
        if current is not None:
            yield current
        current = state
    if current is not None:
        yield current


class _Entry(Generic[T]):
    """Heap entry ordered in reverse, so the heap's root is the entry least at stake (the one to evict)."""

    __slots__ = ("item", "key")

    def __init__(self, key: tuple[Any, ...], item: T) -> None:
        self.key = key
        self.item = item

    def __lt__(self, other: _Entry[T]) -> bool:
        return other.key < self.key


class TopN(Generic[T]):
    """The `n` smallest keys seen so far (smallest = most at stake), in O(n) memory; also counts all."""

    def __init__(self, n: int) -> None:
        self.n = max(0, n)
        self.seen = 0
        self._heap: list[_Entry[T]] = []

    def push(self, key: tuple[Any, ...], make: Callable[[], T]) -> None:
        """Offer an item; `make` builds it only when it is kept (most of a large stream is not)."""
        self.seen += 1
        if self.n == 0:
            return
        if len(self._heap) < self.n:
            heapq.heappush(self._heap, _Entry(key, make()))
        elif key < self._heap[0].key:
            heapq.heapreplace(self._heap, _Entry(key, make()))

    def ranked(self) -> list[T]:
        return [e.item for e in sorted(self._heap, key=lambda e: e.key)]

    @property
    def dropped(self) -> int:
        return self.seen - len(self._heap)


def item_from_state(state: TicketState) -> DigestItem:
    return DigestItem(
        ticket_id=state.ticket_id,
        account_id=state.account_id,
        account_name=state.account_name,
        tier=state.tier,
        acv=state.acv,
        severity=state.severity,
        subject=state.subject,
        metric=state.metric,
        state=state.state,
        minutes_left=state.minutes_left,
        due_at=state.due_at,
        assignee=state.assignee,
        paused=getattr(state, "paused", False),
    )


def rank_all(states: Iterable[TicketState]) -> list[DigestItem]:
    """Every breached or at-risk ticket, most at stake first (sorts everything: for the CLI, not digests)."""
    flagged = [s for s in worst_per_ticket(states) if s.state in _STATE_ORDER]
    flagged.sort(key=stake_key)
    return [item_from_state(s) for s in flagged]
