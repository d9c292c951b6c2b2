"""Erlang C (M/M/c): the probability that a contact waits, and its mean wait, for c agents.

Computed through the Erlang B recursion B(0) = 1, B(k) = a·B(k-1) / (k + a·B(k-1)), which never forms
a^c / c! (that overflows a float beyond ~170 agents) and stays within [0, 1] at every step; then
C = B / (1 - ρ·(1 - B)) with ρ = a / c. A queue at or above 100% utilisation has no steady state: it is
reported as overloaded, never given a number.
"""

from __future__ import annotations

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
