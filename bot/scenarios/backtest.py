"""Backtest: how well the projection's first-response model predicts held-back data, against alternatives.

The projection (`projection.py`) predicts a tier's median first response under a variant as today's
observed median plus the change of the Erlang C mean wait between today's load and the variant's. Here
that rule and its alternatives predict periods whose answer is known:

- **time split**: the N days are cut in time; each hold-back window (the last N/3 days, then the same
  window N/6 days earlier, … while the fit period before it is at least as long) is predicted from the
  fit period before it (its medians, its load) and the hold-back window's own observed load (arrival
  rate per staffed hour, mean handle time), per tier and per tier × severity. The actual value is the
  observed median. It is real data, but adjacent periods carry nearly the same load, so it mostly
  measures how stable medians are: a model that ignores load can do as well as one that models it.
- **moved accounts**: in each hold-back window a random share of accounts (5%, 10%, 20%) moves one tier
  up or down, as a threshold change would, so each tier's load changes. No data say what those tickets
  would have waited, so the actual value is semi-synthetic: each ticket's observed first response minus
  the wait a first-come-first-served simulation of its tier today gives it, plus the wait the same
  simulation gives it in its new tier (the projection's own per-ticket premise, with the waits from a
  simulation of the real arrival instants and handle times instead of a formula). It tests whether a
  model tracks a load change of that size; it cannot show that real teams queue like the simulation.

Models (all given the same inputs; waits per tier, in staffed minutes, as the projection uses them):
- naive: the fit period's median, whatever the load;
- additive (the projection today): fit median + W(hold-back) - W(fit), Erlang C mean waits;
- multiplicative: fit median × W(hold-back) / W(fit) (the fit median when W(fit) is 0);
- allen-cunneen: additive, with G/G/c waits: Erlang C × (Ca² + Cs²) / 2, from each period's observed
  spread of gaps between arrivals and of handle times;
- median-wait: additive, with the median of the M/M/c wait instead of its mean (the target is a median);
- per-ticket: the median over the fit period's tickets of the accounts in the tier (as moved) of each
  ticket's time plus its own change of wait; the same as additive when no account moves.

Scores: mean absolute error (minutes) and mean absolute percentage error over the cells (tier or tier ×
severity, × window, × share) where every model gives a number (a queue at or above 100% utilisation
gets none), the cells each model wins and loses against the current one, and how often it gave none.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from bot.policy.model import SEVERITIES, Policy, Tier
from bot.scenarios import measures
from bot.scenarios.projection import tier_ranks
from bot.scenarios.queueing import (
    Queue,
    allen_cunneen_wait_hours,
    fcfs_waits,
    mean_wait_hours,
    median_wait_hours,
)
from bot.scenarios.results import (
    CANDIDATES,
    CURRENT,
    Backtest,
    Candidate,
    Cell,
    Level,
    Score,
    Trial,
    Window,
)
from bot.scenarios.snapshot import Snapshot

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]
S = len(SEVERITIES)

MIN_TICKETS = 5  # answered tickets a cell needs in both periods: a median of fewer is noise
MOVED_SHARES = (0.05, 0.10, 0.20)
TIE_MINUTES = 1.0  # errors closer than a minute are a tie, not a win (medians are whole minutes)


def windows(days: int) -> tuple[Window, ...]:
    """Hold-back windows of days/3 ending now, then every days/6 earlier, while the fit period before
    each is at least as long (90 days: hold -30..0 on fit -90..-30, -45..-15 on -90..-45, -60..-30 on
    -90..-60). Neighbouring windows overlap by half: they are not independent trials."""
    hold = max(1, days // 3)
    step = max(1, hold // 2)
    out = []
    end = 0
    while days - end - hold >= hold:
        out.append(Window(days, end + hold, end))
        end += step
    return tuple(out)


@dataclass(frozen=True)
class _Queues:
    """Per tier over one period: utilisation (NaN unstaffed) and waits in minutes (inf overloaded)."""

    utilisation: Floats
    arrival_scv: Floats
    handle_scv: Floats
    mean: Floats
    allen_cunneen: Floats
    median: Floats


def _scv(values: Floats) -> float:
    """Squared coefficient of variation; 1 (the exponential's) when there is too little to tell."""
    if values.size < 2 or values.mean() <= 0:
        return 1.0
    return float(values.var() / values.mean() ** 2)


def _minutes(hours: float | None) -> float:
    return np.inf if hours is None else hours * 60


def _queues(
    tiers: tuple[Tier, ...], tier: Ints, mask: Bools, created: Floats, handle: Floats, days: float
) -> _Queues:
    n = len(tiers)
    util, mean, ac, med = np.full(n, np.nan), np.zeros(n), np.zeros(n), np.zeros(n)
    ca2, cs2 = np.ones(n), np.ones(n)
    for r, t in enumerate(tiers):
        mine = mask & (tier == r)
        count = int(np.count_nonzero(mine))
        if t.staffing is None or count == 0:
            continue
        handles = handle[mine]
        staffed_hours = t.staffing.hours_per_week * days / 7
        queue = Queue(count / staffed_hours, float(handles.mean()) / 60, t.staffing.agents)
        util[r] = queue.utilisation
        mean[r] = _minutes(mean_wait_hours(queue))
        ca2[r], cs2[r] = _scv(np.diff(np.sort(created[mine]))), _scv(handles)
        ac[r] = _minutes(allen_cunneen_wait_hours(queue, ca2[r], cs2[r]))
        med[r] = _minutes(median_wait_hours(queue))
    return _Queues(util, ca2, cs2, mean, ac, med)


def _simulated_waits(
    tiers: tuple[Tier, ...], tier: Ints, mask: Bools, created: Floats, handle: Floats, start: float
) -> Floats:
    """Per ticket in `mask`: its wait in minutes in a FCFS simulation of its tier's queue (0 elsewhere),
    from the real arrival instants and handle times. Wall time maps onto staffed time in proportion
    (hours_per_week / 168), as the rates do: nights and weekends are not modelled, by either side."""
    out = np.zeros(created.size)
    for r, t in enumerate(tiers):
        if t.staffing is None:
            continue
        idx = np.flatnonzero(mask & (tier == r))
        idx = idx[np.argsort(created[idx], kind="stable")]
        arrivals = (created[idx] - start) / 3600 * t.staffing.hours_per_week / 168
        waits = fcfs_waits(arrivals.tolist(), (handle[idx] / 60).tolist(), t.staffing.agents)
        out[idx] = np.asarray(waits) * 60
    return out


def _moved(today: Ints, n: int, share: float, rng: np.random.Generator) -> Ints:
    """A random `share` of accounts one tier up or down (the other way at either end)."""
    if n < 2:
        return today.copy()
    pick = rng.random(today.size) < share
    step = rng.choice(np.array([-1, 1]), today.size)
    new = today + step
    new = np.where((new < 0) | (new >= n), today - step, new)
    out: Ints = np.where(pick, new, today)
    return out


def _number(value: float) -> float | None:
    return None if np.isnan(value) or np.isinf(value) else float(value)


class _Run:
    def __init__(self, snap: Snapshot, policy: Policy, min_tickets: int) -> None:
        self.snap = snap
        self.tiers = tuple(reversed(policy.tiers))  # by rank, 0 = lowest
        self.n = len(self.tiers)
        self.min_tickets = min_tickets
        self.today = tier_ranks(policy, snap)
        self.today_t = self.today[snap.ticket_account]
        self.severity = snap.severity.astype(np.int64)
        self.fr = (snap.first_response - snap.created) / 60  # NaN while unanswered
        self.age = (snap.now.timestamp() - snap.created) / 86400
        self.cells: list[Cell] = []

    def period(self, older: int, newer: int) -> Bools:
        mask: Bools = (self.age >= newer) & (self.age < older)
        return mask

    def queues(self, tier: Ints, mask: Bools, days: int) -> _Queues:
        return _queues(self.tiers, tier, mask, self.snap.created, self.snap.handle_minutes, days)

    def simulate(self, tier: Ints, mask: Bools, start: float) -> Floats:
        return _simulated_waits(self.tiers, tier, mask, self.snap.created, self.snap.handle_minutes, start)

    def add_cells(
        self,
        test: Trial,
        w: int,
        share: float,
        fit: Bools,
        hold: Bools,
        target: Ints,  # each ticket's tier in the hold-back world (today's, or as moved)
        actual: Floats,  # each ticket's first response in that world
        qf: _Queues,
        qh: _Queues,
    ) -> None:
        n, sev = self.n, self.severity
        size = n * S
        answered_fit = fit & ~np.isnan(self.fr)
        answered_hold = hold & ~np.isnan(actual)
        fit_t, hold_t = self.today_t, target
        fit_n = np.bincount(fit_t[answered_fit] * S + sev[answered_fit], minlength=size)
        hold_n = np.bincount(hold_t[answered_hold] * S + sev[answered_hold], minlength=size)
        fit_med = measures.group_medians(self.fr[fit], fit_t[fit] * S + sev[fit], size)
        fit_med_t = measures.group_medians(self.fr[fit], fit_t[fit], n)
        act = measures.group_medians(actual[hold], hold_t[hold] * S + sev[hold], size)
        act_t = measures.group_medians(actual[hold], hold_t[hold], n)
        # per-ticket: the fit period's tickets regrouped by the tier their account has in the hold-back
        # world, each shifted by its own change of wait (today's tier in the fit period -> that tier).
        base = np.where(np.isinf(qf.mean), 0.0, qf.mean)
        composed = target[fit]
        shifted = np.maximum(self.fr[fit] + qh.mean[composed] - base[fit_t[fit]], 0.0)
        per_ticket = measures.group_medians(shifted, composed * S + sev[fit], size)
        per_ticket_t = measures.group_medians(shifted, composed, n)
        for r in range(n):
            for s in (None, *range(S)):
                if s is None:
                    nf, nh = int(fit_n[r * S : r * S + S].sum()), int(hold_n[r * S : r * S + S].sum())
                    m_f, actual_m, composed_m = fit_med_t[r], act_t[r], per_ticket_t[r]
                else:
                    k = r * S + s
                    nf, nh = int(fit_n[k]), int(hold_n[k])
                    m_f, actual_m, composed_m = fit_med[k], act[k], per_ticket[k]
                if nf < self.min_tickets or nh < self.min_tickets or np.isnan(actual_m):
                    continue
                self.cells.append(
                    Cell(
                        test=test,
                        window=w,
                        moved_share=share,
                        tier=self.tiers[r].key,
                        severity=None if s is None else SEVERITIES[s],
                        fit_tickets=nf,
                        hold_tickets=nh,
                        utilisation_fit=_number(qf.utilisation[r]),
                        utilisation_hold=_number(qh.utilisation[r]),
                        arrival_scv=float(qh.arrival_scv[r]),
                        handle_scv=float(qh.handle_scv[r]),
                        actual=float(actual_m),
                        predictions=_predict(float(m_f), r, qf, qh, float(composed_m)),
                    )
                )


def _additive(m_f: float, before: float, after: float) -> float | None:
    """The projection's rule: a tier overloaded in the fit period counts as waiting 0 there (its
    observed times already hold that queue); one overloaded after gets no number."""
    if np.isinf(after):
        return None
    return max(m_f + after - (0.0 if np.isinf(before) else before), 0.0)


def _predict(m_f: float, r: int, qf: _Queues, qh: _Queues, composed: float) -> tuple[float | None, ...]:
    wf, wh = float(qf.mean[r]), float(qh.mean[r])
    if np.isinf(wh):
        multiplicative = None
    elif wf == 0 or np.isinf(wf):
        multiplicative = m_f  # no wait today to scale
    else:
        multiplicative = m_f * wh / wf
    out = {
        Candidate.NAIVE: m_f,
        Candidate.ADDITIVE: _additive(m_f, wf, wh),
        Candidate.MULTIPLICATIVE: multiplicative,
        Candidate.ALLEN_CUNNEEN: _additive(m_f, float(qf.allen_cunneen[r]), float(qh.allen_cunneen[r])),
        Candidate.MEDIAN_WAIT: _additive(m_f, float(qf.median[r]), float(qh.median[r])),
        Candidate.PER_TICKET: _number(composed),
    }
    return tuple(out[c] for c in CANDIDATES)


def _scores(cells: list[Cell]) -> tuple[Score, ...]:
    out = []
    current = CANDIDATES.index(CURRENT)
    for test in Trial:
        for level in Level:
            mine = [c for c in cells if c.test == test and c.level == level]
            scored = [c for c in mine if all(p is not None for p in c.predictions)]
            actual = np.array([c.actual for c in scored])
            preds = np.array([[p for p in c.predictions] for c in scored], dtype=np.float64).reshape(
                len(scored), len(CANDIDATES)
            )
            errors = np.abs(preds - actual[:, None])
            # A median of 0 (answered at once) would divide by zero: percentages of at least a minute.
            relative = errors / np.maximum(actual, 1.0)[:, None]
            for m, model in enumerate(CANDIDATES):
                e = errors[:, m]
                out.append(
                    Score(
                        test=test,
                        level=level,
                        model=model,
                        cells=len(scored),
                        mae=float(e.mean()) if scored else None,
                        mdae=float(np.median(e)) if scored else None,
                        mape=float(relative[:, m].mean()) if scored else None,
                        wins=int(np.count_nonzero(e < errors[:, current] - TIE_MINUTES)),
                        losses=int(np.count_nonzero(e > errors[:, current] + TIE_MINUTES)),
                        no_number=sum(c.predictions[m] is None for c in mine),
                    )
                )
    return tuple(out)


def backtest(
    snap: Snapshot,
    policy: Policy,
    min_tickets: int = MIN_TICKETS,
    shares: tuple[float, ...] = MOVED_SHARES,
    seed: int = 0,
) -> Backtest:
    """Both tests over every window of the snapshot's N days; deterministic for a given seed."""
    run = _Run(snap, policy, min_tickets)
    spans = windows(snap.days)
    now = snap.now.timestamp()
    for w, win in enumerate(spans):
        fit, hold = run.period(win.fit_from, win.hold_from), run.period(win.hold_from, win.hold_to)
        qf = run.queues(run.today_t, fit, win.fit_from - win.hold_from)
        hold_days = win.hold_from - win.hold_to
        qh = run.queues(run.today_t, hold, hold_days)
        run.add_cells(Trial.TIME, w, 0.0, fit, hold, run.today_t, run.fr, qf, qh)
        # The simulations run from the start of the fit period, accounts moving when the hold-back
        # window opens: its queues start from today's state, not empty (an empty start understates waits).
        start, both = now - win.fit_from * 86400, fit | hold
        waits_today = run.simulate(run.today_t, both, start)
        for k, share in enumerate(shares):
            rng = np.random.default_rng([seed, w, k])
            moved = _moved(run.today, run.n, share, rng)[snap.ticket_account]
            waits_moved = run.simulate(np.where(hold, moved, run.today_t), both, start)
            truth = np.maximum(run.fr - waits_today + waits_moved, 0.0)
            qm = run.queues(moved, hold, hold_days)
            run.add_cells(Trial.MOVED, w, share, fit, hold, moved, truth, qf, qm)
    return Backtest(
        days=snap.days,
        windows=spans,
        moved_shares=shares,
        min_tickets=min_tickets,
        cells=tuple(run.cells),
        scores=_scores(run.cells),
    )
