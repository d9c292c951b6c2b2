"""Erlang C against textbook values and limits."""

from __future__ import annotations

import math

import pytest

from bot.scenarios.queueing import Queue, erlang_b, erlang_c, mean_wait_hours


def naive_erlang_c(c: int, a: float) -> float:
    top = a**c / math.factorial(c) * c / (c - a)
    return top / (sum(a**k / math.factorial(k) for k in range(c)) + top)


def test_textbook_call_centre() -> None:
    # λ = 100 calls/h, AHT 3 min (μ = 20/h): a = 5 Erlangs; 7 agents -> P(wait) ≈ 0.3241,
    # Wq = C / (cμ - λ) = 0.3241 / 40 h ≈ 29.2 s
    queue = Queue(arrivals_per_hour=100, handle_hours=3 / 60, agents=7)
    assert queue.offered_load == pytest.approx(5)
    assert erlang_c(7, 5) == pytest.approx(0.3241, abs=1e-4)
    wait = mean_wait_hours(queue)
    assert wait is not None and wait * 3600 == pytest.approx(29.17, abs=0.05)


def test_two_servers_closed_form() -> None:
    # M/M/2: P(wait) = 2ρ² / (1 + ρ); ρ = 0.5 -> 1/3
    assert erlang_c(2, 1.0) == pytest.approx(1 / 3)


@pytest.mark.parametrize(("c", "a"), [(1, 0.5), (2, 1.5), (10, 8.0), (50, 45.0)])
def test_matches_the_closed_form(c: int, a: float) -> None:
    assert erlang_c(c, a) == pytest.approx(naive_erlang_c(c, a), rel=1e-12)


def test_single_agent_is_rho() -> None:
    assert erlang_c(1, 0.25) == pytest.approx(0.25)
    assert erlang_b(1, 1.0) == pytest.approx(0.5)


def test_large_teams_stay_finite() -> None:
    # a^c / c! overflows a float at c = 171; the recursion does not.
    p = erlang_c(1000, 990.0)
    assert 0 < p < 1


def test_overloaded_and_idle() -> None:
    assert Queue(10, 1.0, 10).overloaded
    assert mean_wait_hours(Queue(10, 1.0, 10)) is None
    assert mean_wait_hours(Queue(0, 1.0, 3)) == 0.0
    assert erlang_c(3, 0.0) == 0.0
