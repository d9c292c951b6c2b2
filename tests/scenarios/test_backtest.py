"""The backtest, pinned on the small synthetic history of `backtest_data.py` (every figure by hand)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from bot.scenarios.backtest import _moved, backtest, windows
from bot.scenarios.queueing import (
    Queue,
    allen_cunneen_wait_hours,
    fcfs_waits,
    mean_wait_hours,
    median_wait_hours,
)
from bot.scenarios.results import CANDIDATES, Backtest, Candidate, Cell, Level, Trial, Window
from bot.scenarios.service import BacktestResult, run_backtest
from bot.scenarios.variant import Refused
from storage.db import Database
from tests.scenarios import backtest_data
from tests.scenarios.example import NOW, POLICY

W_FIT = 120 / 11  # M/M/1, ρ = 1/12, h = 120 min: ρh / (1 - ρ)
W_HOLD = 24.0  # ρ = 1/6


def predictions(cell: Cell) -> dict[Candidate, float | None]:
    return dict(zip(CANDIDATES, cell.predictions, strict=True))


@pytest.fixture
def result() -> Backtest:
    # Every account moves (two tiers: they swap), so the moved-accounts test is worked by hand too.
    return backtest(backtest_data.snapshot(), POLICY, min_tickets=4, shares=(1.0,))


def test_windows() -> None:
    assert windows(90) == (Window(90, 30, 0), Window(90, 45, 15), Window(90, 60, 30))
    assert windows(6) == (Window(6, 2, 0), Window(6, 3, 1), Window(6, 4, 2))
    assert windows(2) == (Window(2, 1, 0),) and windows(1) == ()
    assert Window(90, 30, 0).label == "fit -90..-30 d, hold -30..0 d"


def test_only_the_first_window_has_enough_tickets(result: Backtest) -> None:
    assert {c.window for c in result.cells} == {0}
    assert [(c.test, c.tier, c.severity) for c in result.cells] == [
        (Trial.TIME, "basic", None), (Trial.TIME, "basic", "sev2"),
        (Trial.TIME, "premium", None), (Trial.TIME, "premium", "sev2"),
        (Trial.MOVED, "basic", None), (Trial.MOVED, "basic", "sev2"),
        (Trial.MOVED, "premium", None), (Trial.MOVED, "premium", "sev2"),
    ]  # fmt: skip
    cell = result.cells[2]
    assert (cell.fit_tickets, cell.hold_tickets) == (4, 4)
    assert (cell.utilisation_fit, cell.utilisation_hold) == pytest.approx((1 / 12, 1 / 6))
    assert (cell.arrival_scv, cell.handle_scv) == (0.0, 0.0)  # evenly spaced, all 120 minutes


def test_time_split_by_hand(result: Backtest) -> None:
    premium, basic = result.cells[2], result.cells[0]
    assert premium.actual == 70 and basic.actual == 300
    assert predictions(premium) == pytest.approx(
        {
            Candidate.NAIVE: 60,
            Candidate.ADDITIVE: 60 + W_HOLD - W_FIT,
            Candidate.MULTIPLICATIVE: 60 * W_HOLD / W_FIT,  # 132
            Candidate.ALLEN_CUNNEEN: 60,  # evenly spaced, equal handle times: no wait either side
            Candidate.MEDIAN_WAIT: 60,  # M/M/1: fewer than half wait (C = ρ ≤ ½), median wait 0
            Candidate.PER_TICKET: 60 + W_HOLD - W_FIT,  # no account moved: the same as additive
        }
    )
    assert predictions(basic)[Candidate.ADDITIVE] == pytest.approx(260 + W_HOLD - W_FIT)


def test_moved_accounts_by_hand(result: Backtest) -> None:
    # The tiers swap accounts; the simulated queues never wait, so the actual values are the movers'
    # observed times: premium now holds B1's tickets (median 300), basic P1's (median 70).
    premium, basic = result.cells[6], result.cells[4]
    assert (premium.actual, basic.actual) == (300, 70)
    assert (premium.utilisation_hold, basic.utilisation_hold) == pytest.approx((1 / 6, 1 / 6))
    p, b = predictions(premium), predictions(basic)
    # The tier-level models start from the tier's own fit median, whoever is in it now …
    assert (p[Candidate.NAIVE], p[Candidate.ADDITIVE]) == pytest.approx((60, 60 + W_HOLD - W_FIT))
    assert (b[Candidate.NAIVE], b[Candidate.ADDITIVE]) == pytest.approx((260, 260 + W_HOLD - W_FIT))
    # … per-ticket starts from the fit times of the accounts now in the tier.
    assert p[Candidate.PER_TICKET] == pytest.approx(260 + W_HOLD - W_FIT)
    assert b[Candidate.PER_TICKET] == pytest.approx(60 + W_HOLD - W_FIT)


def test_scores_by_hand(result: Backtest) -> None:
    naive = result.score(Trial.TIME, Level.TIER, Candidate.NAIVE)
    current = result.score(Trial.TIME, Level.TIER, Candidate.ADDITIVE)
    assert naive.cells == 2 and naive.mae == pytest.approx((10 + 40) / 2)
    assert naive.mdae == pytest.approx((10 + 40) / 2)  # the median of two errors is their mean
    assert naive.mape == pytest.approx((10 / 70 + 40 / 300) / 2)
    added = W_HOLD - W_FIT  # ≈ 13.09
    assert current.mae == pytest.approx(((60 + added - 70) + (300 - 260 - added)) / 2)  # 15
    assert (naive.wins, naive.losses, naive.no_number) == (0, 2, 0)
    mult = result.score(Trial.TIME, Level.TIER, Candidate.MULTIPLICATIVE)
    assert mult.mae == pytest.approx((62 + 272) / 2)
    moved = result.score(Trial.MOVED, Level.TIER, Candidate.PER_TICKET)
    assert moved.mae == pytest.approx(((300 - 260 - added) + (60 + added - 70)) / 2)  # 15
    assert (moved.wins, moved.losses) == (2, 0)
    assert result.score(Trial.MOVED, Level.TIER, Candidate.ADDITIVE).mae == pytest.approx(215)


def test_deterministic_with_the_default_shares() -> None:
    runs = [backtest(backtest_data.snapshot(), POLICY, min_tickets=2) for _ in range(2)]
    assert runs[0] == runs[1]
    assert any(c.test == Trial.MOVED for c in runs[0].cells)


def test_moved_shares() -> None:
    today = np.array([0, 1, 2, 2, 1, 0] * 100, dtype=np.int64)
    rng = np.random.default_rng(1)
    assert (_moved(today, 3, 0.0, rng) == today).all()
    moved = _moved(today, 3, 1.0, rng)
    assert (np.abs(moved - today) == 1).all() and moved.min() == 0 and moved.max() == 2
    assert 0.05 < np.mean(_moved(today, 3, 0.1, rng) != today) < 0.15


def test_queueing_alternatives() -> None:
    q = Queue(arrivals_per_hour=0.75, handle_hours=1.0, agents=1)  # M/M/1, ρ = 0.75: W = 3 h
    assert mean_wait_hours(q) == pytest.approx(3.0)
    assert allen_cunneen_wait_hours(q, 1.0, 1.0) == pytest.approx(3.0)
    assert allen_cunneen_wait_hours(q, 1.0, 0.0) == pytest.approx(1.5)  # M/D/1: half of M/M/1
    assert median_wait_hours(q) == pytest.approx(math.log(1.5) / 0.25)  # P(W > t) = 0.75 e^(-t/4)
    assert median_wait_hours(Queue(0.4, 1.0, 1)) == 0.0
    assert median_wait_hours(Queue(1.0, 1.0, 1)) is None
    assert fcfs_waits([0, 0, 0, 1], [2, 2, 2, 1], 2) == [0, 0, 2, 1]


def test_service_reads_the_database(db: Database) -> None:
    backtest_data.seed(db)
    with db.engine.connect() as conn:
        out = run_backtest(conn, POLICY, NOW, 6, min_tickets=4)
        refused = run_backtest(conn, POLICY, NOW, 1)
        too_long = run_backtest(conn, POLICY, NOW, 30)
    assert isinstance(out, BacktestResult) and (out.accounts, out.tickets) == (2, 16)
    assert out.backtest.score(Trial.TIME, Level.TIER, Candidate.ADDITIVE).mae == pytest.approx(15)
    assert isinstance(refused, Refused) and "at least 2 days" in refused.message
    assert isinstance(too_long, Refused) and "go back 6 days" in too_long.message
