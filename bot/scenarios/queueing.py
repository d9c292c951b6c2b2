"""Erlang C (M/M/c): the probability that a contact waits, and its mean wait, for c agents.

Computed through the Erlang B recursion B(0) = 1, B(k) = a·B(k-1) / (k + a·B(k-1)), which never forms
a^c / c! (that overflows a float beyond ~170 agents) and stays within [0, 1] at every step; then
C = B / (1 - ρ·(1 - B)) with ρ = a / c. A queue at or above 100% utilisation has no steady state: it is
reported as overloaded, never given a number.

Also the alternatives the backtest (`backtest.py`) compares: Allen-Cunneen's G/G/c mean wait, the M/M/c
median wait, and a first-come-first-served simulation that serves as ground truth where none is observed.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Queue:
    arrivals_per_hour: float  # λ, per staffed hour
    handle_hours: float  # mean handle time, 1/μ
    agents: int  # c

    @property
    def offered_load(self) -> float:
        """a = λ/μ, in Erlangs (agents' worth of work)."""
        return self.arrivals_per_hour * self.handle_hours

    @property
    def utilisation(self) -> float:
        """ρ = a / c; infinite with no agents and some work."""
        if self.agents <= 0:
            return 0.0 if self.offered_load == 0 else float("inf")
        return self.offered_load / self.agents

    @property
    def overloaded(self) -> bool:
        return self.utilisation >= 1.0


def erlang_b(agents: int, load: float) -> float:
    """Blocking probability of an M/M/c/c system (Erlang B), by the stable recursion."""
    b = 1.0
    for k in range(1, agents + 1):
        b = load * b / (k + load * b)
    return b


def erlang_c(agents: int, load: float) -> float:
    """Probability that an arrival waits (Erlang C); 1.0 when the queue is overloaded."""
    if load <= 0:
        return 0.0
    if agents <= 0 or load >= agents:
        return 1.0
    b = erlang_b(agents, load)
    rho = load / agents
    return b / (1.0 - rho * (1.0 - b))


def mean_wait_hours(queue: Queue) -> float | None:
    """Mean time in queue Wq = C / (cμ - λ) in hours; None when overloaded; 0 with no work."""
    if queue.offered_load <= 0:
        return 0.0
    if queue.overloaded:
        return None
    mu = 1.0 / queue.handle_hours
    return erlang_c(queue.agents, queue.offered_load) / (queue.agents * mu - queue.arrivals_per_hour)


def allen_cunneen_wait_hours(queue: Queue, arrival_scv: float, service_scv: float) -> float | None:
    """Mean wait of a G/G/c queue by the Allen-Cunneen approximation: the M/M/c wait scaled by
    (Ca² + Cs²) / 2, where Ca² and Cs² are the squared coefficients of variation of the gaps between
    arrivals and of the handle times (both 1 for M/M/c, which it then equals). Exact for M/G/1 with
    Poisson arrivals (Pollaczek-Khinchine); within ~10% for M/G/c at moderate loads (Allen 1990)."""
    wait = mean_wait_hours(queue)
    return None if wait is None else wait * (arrival_scv + service_scv) / 2


def median_wait_hours(queue: Queue) -> float | None:
    """Median of the M/M/c waiting time, whose distribution is P(Wq > t) = C·exp(-(cμ - λ)t): 0 when
    fewer than half the contacts wait (C ≤ ½), else ln(2C) / (cμ - λ). None when overloaded."""
    if queue.offered_load <= 0:
        return 0.0
    if queue.overloaded:
        return None
    c = erlang_c(queue.agents, queue.offered_load)
    if c <= 0.5:
        return 0.0
    return math.log(2 * c) / (queue.agents / queue.handle_hours - queue.arrivals_per_hour)


def fcfs_waits(arrivals: Sequence[float], services: Sequence[float], agents: int) -> list[float]:
    """Waits of a first-come-first-served queue with `agents` servers, by direct simulation: each
    arrival (sorted) takes the server that frees first. Used as the ground truth of the backtest's
    moved-accounts test, where no counterfactual is observed; O(n log c)."""
    free = [0.0] * max(agents, 1)
    waits = []
    for arrival, service in zip(arrivals, services, strict=True):
        start = max(arrival, heapq.heappop(free))
        waits.append(start - arrival)
        heapq.heappush(free, start + service)
    return waits
