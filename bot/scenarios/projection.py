"""The projection: which tier each account would have under a policy, and what that does to the queues.

Built once per run from a `Snapshot` and today's policy (`Model`), then evaluated per variant on arrays:

1. Tiers: the policy's own rules (`bot.policy.evaluate.evaluate`) decide every combination of ACV band,
   strategic flag and usage criticality once (a few dozen calls); accounts are then looked up in that
   table by their ACV band (`searchsorted` on the thresholds). Active overrides beat the rules.
2. Queues: per tier, tickets of its would-be accounts over the last N days give the arrival rate per
   staffed hour (tickets / (hours_per_week · days / 7)) and the mean handle time; Erlang C with the
   tier's agents gives the mean wait W, or "overloaded" at utilisation ≥ 1.
3. Times: a ticket's projected first response (and resolution) is its observed time minus the wait of
   its tier today plus the wait of its tier under the variant (overloaded: unbounded). A tier's
   projected median is today's observed median for that tier plus the change of its wait.
4. SLA: each ticket is re-judged against its would-be tier's target, on that target's calendar.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from bot.policy.evaluate import AccountFacts, evaluate
from bot.policy.model import CRITICALITIES, SEVERITIES, Policy
from bot.scenarios import measures
from bot.scenarios.queueing import Queue, mean_wait_hours
from bot.scenarios.results import Measures, TierFigures
from bot.scenarios.snapshot import Snapshot
from bot.sla.calendar import timeline

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]
S = len(SEVERITIES)


@dataclass(frozen=True)
class Evaluation:
    tiers: tuple[TierFigures, ...]  # highest first, like the policy
    measures: Measures
    ranks: Ints  # per account, rank 0 = lowest tier


def positions(starts: list[float], ends: list[float], before: list[float], ts: Floats) -> Floats:
    """Vectorised `Timeline.position`: open seconds from the timeline's origin at each instant."""
    s, e, b = np.asarray(starts), np.asarray(ends), np.asarray(before)
    i = np.searchsorted(s, ts, side="right") - 1
    j = np.clip(i, 0, None)
    pos = b[j] + np.clip(ts - s[j], 0.0, e[j] - s[j])
    out: Floats = np.where(i < 0, b[0], pos)
    return out


def tier_ranks(policy: Policy, snap: Snapshot) -> Ints:
    """Each account's tier rank under `policy` (0 = lowest), with active overrides on top."""
    ascending = [t.min_acv for t in reversed(policy.tiers)]
    band = np.searchsorted(np.array([float(a) for a in ascending]), snap.acv, side="right") - 1
    table = np.zeros((len(ascending), 2, len(CRITICALITIES)), dtype=np.int64)
    for rank, floor in enumerate(ascending):
        for strategic in (False, True):
            for c, crit in enumerate(CRITICALITIES):
                result = evaluate(
                    policy, AccountFacts(acv=floor, usage_criticality=crit, strategic=strategic)
                )
                table[rank, int(strategic), c] = policy.rank(result.tier)
    ranks = table[np.clip(band, 0, None), snap.strategic.astype(np.int64), snap.criticality.astype(np.int64)]
    keys = {t.key for t in policy.tiers}
    for i, key in snap.overrides:
        # An override is a decision, not a rule: it beats the variant's rules as it beats today's.
        if key in keys:
            ranks[i] = policy.rank(key)
    return ranks


class Model:
    """Everything that does not depend on the variant: per-ticket times, calendars, targets, today."""

    def __init__(self, snap: Snapshot, policy: Policy) -> None:
        self.snap = snap
        self.policy = policy
        self.by_rank = tuple(reversed(policy.tiers))
        self.n_tiers = len(self.by_rank)
        self.severity = snap.severity.astype(np.int64)
        self.first_response = (snap.first_response - snap.created) / 60  # wall minutes; NaN while open
        self.resolution = (snap.solved - snap.created) / 60
        self.fr_decided = ~np.isnan(snap.first_response)
        self.res_decided = ~np.isnan(snap.solved)
        self.hourly = np.array([float(t.hourly_cost) for t in self.by_rank])
        self.neutral_target = np.array(
            [np.mean([t.sla[s].first_response for t in self.by_rank]) for s in SEVERITIES]
        )
        self._calendars(snap)
        self.weights = np.bincount(self.severity, minlength=S).astype(np.float64)
        self.today = tier_ranks(policy, snap)
        self.today_tickets = self.today[snap.ticket_account]
        self.today_waits, _, _ = self._waits(self.today_tickets)
        groups = self.today_tickets * S + self.severity
        self.fr_median_ts = measures.group_medians(self.first_response, groups, self.n_tiers * S)
        self.fr_median_t = measures.group_medians(self.first_response, self.today_tickets, self.n_tiers)
        self.res_median_t = measures.group_medians(self.resolution, self.today_tickets, self.n_tiers)
        # Answered tickets sorted once by (severity, tier today, first response): see `_inversions`.
        answered = np.flatnonzero(self.fr_decided)
        block = self.severity[answered] * self.n_tiers + self.today_tickets[answered]
        order = np.lexsort((self.first_response[answered], block))
        self.sorted_times = self.first_response[answered][order]
        self.sorted_accounts = snap.ticket_account[answered][order]
        self.block_bounds = np.concatenate(([0], np.cumsum(np.bincount(block, minlength=S * self.n_tiers))))

    def _calendars(self, snap: Snapshot) -> None:
        names = sorted({t.sla[s].calendar for t in self.by_rank for s in SEVERITIES})
        index = {n: i for i, n in enumerate(names)}
        self.fr_target = np.array(
            [[t.sla[s].first_response for s in SEVERITIES] for t in self.by_rank], float
        )
        self.res_target = np.array([[t.sla[s].resolution for s in SEVERITIES] for t in self.by_rank], float)
        self.calendar = np.array([[index[t.sla[s].calendar] for s in SEVERITIES] for t in self.by_rank])
        now = snap.now.timestamp()
        fr_end = np.where(self.fr_decided, snap.first_response, now)  # open: elapsed so far
        res_end = np.where(self.res_decided, snap.solved, now)
        lo = float(snap.created.min()) if snap.created.size else now
        # float32: elapsed business minutes need no more than 7 digits (half the memory of float64)
        self.business_fr = np.empty((len(names), snap.tickets), dtype=np.float32)
        self.business_res = np.empty((len(names), snap.tickets), dtype=np.float32)
        for name, i in index.items():
            line = timeline(self.policy.calendars[name])
            if line.always_open:
                start, fr, res = snap.created, fr_end, res_end
            else:
                spans = line.intervals(lo, max(now, float(np.max(res_end, initial=now))))
                start, fr, res = (positions(*spans, ts) for ts in (snap.created, fr_end, res_end))
            self.business_fr[i] = (fr - start) / 60
            self.business_res[i] = (res - start) / 60

    def _waits(self, tickets_tier: Ints) -> tuple[Floats, Floats, npt.NDArray[np.bool_]]:
        """Per tier: Erlang C mean wait in minutes (inf when overloaded), utilisation (NaN unstaffed)."""
        counts = np.bincount(tickets_tier, minlength=self.n_tiers)
        handle = np.bincount(tickets_tier, weights=self.snap.handle_minutes, minlength=self.n_tiers)
        waits = np.zeros(self.n_tiers)
        util = np.full(self.n_tiers, np.nan)
        over = np.zeros(self.n_tiers, dtype=bool)
        for r, tier in enumerate(self.by_rank):
            if tier.staffing is None or counts[r] == 0:
                continue
            staffed_hours = tier.staffing.hours_per_week * self.snap.days / 7
            queue = Queue(counts[r] / staffed_hours, handle[r] / counts[r] / 60, tier.staffing.agents)
            util[r] = queue.utilisation
            wait = mean_wait_hours(queue)
            over[r] = wait is None
            waits[r] = np.inf if wait is None else wait * 60
        return waits, util, over

    def evaluate(self, policy: Policy, ranks: Ints | None = None) -> Evaluation:
        ranks = tier_ranks(policy, self.snap) if ranks is None else ranks
        snap, sev, n = self.snap, self.severity, self.n_tiers
        tier = ranks[snap.ticket_account]
        waits, util, over = self._waits(tier)
        # A tier overloaded today has no steady-state wait: its observed times already hold that queue.
        base = np.where(np.isinf(self.today_waits), 0.0, self.today_waits)
        delta_tier = waits - base  # inf where overloaded under the variant
        shift = waits[tier] - base[self.today_tickets]
        projected_fr = np.maximum(self.first_response + shift, 0.0)

        # SLA: business minutes on the would-be target's calendar, plus the change of wait. Counted
        # per tier without float copies of the masks (a million tickets: 8 MB per float array).
        cell = tier * S + sev  # (tier, severity): which target and which calendar
        met_t = np.zeros(n)
        judged_t = np.zeros(n)
        for business, targets, decided in (
            (self.business_fr, self.fr_target, self.fr_decided),
            (self.business_res, self.res_target, self.res_decided),
        ):
            elapsed = np.choose(self.calendar.ravel()[cell], business) + shift
            late = elapsed > targets.ravel()[cell]
            del elapsed
            met_t += np.bincount(tier[decided & ~late], minlength=n)
            judged_t += np.bincount(tier[decided | late], minlength=n)
            del late
        del cell

        tickets_t = np.bincount(tier, minlength=n)
        # A tier left with no tickets has no median to speak of, whatever it had today.
        empty = np.where(tickets_t == 0, np.nan, 0.0)
        # A wait that drops by more than today's median leaves a response time of 0, not a negative one.
        fr_med = np.maximum(self.fr_median_t + delta_tier + empty, 0.0)
        res_med = np.maximum(self.res_median_t + delta_tier + empty, 0.0)
        fr_med_ts = np.maximum(self.fr_median_ts.reshape(n, S) + (delta_tier + empty)[:, None], 0.0)
        cost_t = np.bincount(tier, weights=snap.handle_minutes, minlength=n) / 60 * self.hourly
        accounts_t = np.bincount(ranks, minlength=n)
        acv_t = np.bincount(ranks, weights=snap.acv, minlength=n)
        mix = np.bincount(tier * S + sev, minlength=n * S).reshape(n, S)

        def number(value: float) -> float | None:
            return None if np.isnan(value) or np.isinf(value) else float(value)

        figures = tuple(
            TierFigures(
                key=self.by_rank[r].key,
                name=self.by_rank[r].name,
                accounts=int(accounts_t[r]),
                acv=float(acv_t[r]),
                tickets=int(tickets_t[r]),
                severity_counts=tuple(int(c) for c in mix[r]),
                cost=float(cost_t[r]),
                median_first_response_minutes=number(fr_med[r]),
                median_resolution_minutes=number(res_med[r]),
                attainment=float(met_t[r] / judged_t[r]) if judged_t[r] else None,
                utilisation=number(util[r]),
                wait_minutes=number(waits[r]),
                overloaded=bool(over[r]),
            )
            for r in reversed(range(n))
        )
        inverted, pairs = self._inversions(ranks, waits, base)
        critical = CRITICALITIES.index("critical")
        result = Measures(
            differentiation=measures.differentiation(fr_med_ts[0], fr_med_ts[n - 1], self.weights),
            fairness=self._fairness(projected_fr),
            inversion_rate=inverted / pairs if pairs else None,
            inversion_pairs=pairs,
            critical_in_lowest=int(np.count_nonzero((ranks == 0) & (snap.criticality == critical))),
            cost=float(cost_t.sum()),
            attainment=float(met_t.sum() / judged_t.sum()) if judged_t.sum() else None,
        )
        return Evaluation(figures, result, ranks)

    def _inversions(self, ranks: Ints, waits: Floats, base: Floats) -> tuple[int, int]:
        """Priority inversions of the projected first responses, from the presorted blocks: within a
        (severity, tier today) block, the tickets going to one variant tier all shift by the same wait,
        so they stay sorted."""
        n = self.n_tiers
        variant_tier = ranks[self.sorted_accounts]
        runs: dict[tuple[int, int], list[Floats]] = {}
        for s in range(S):
            for u in range(n):
                lo, hi = self.block_bounds[s * n + u], self.block_bounds[s * n + u + 1]
                if lo == hi:
                    continue
                times, going = self.sorted_times[lo:hi], variant_tier[lo:hi]
                for r in range(n):
                    run = times[going == r]
                    if run.size:
                        runs.setdefault((s, r), []).append(np.maximum(run + (waits[r] - base[u]), 0.0))
        return measures.inversions_of_runs(runs, n, S)

    def _fairness(self, projected: Floats) -> float | None:
        """J over (severity, usage criticality) groups; x = tier-neutral target / the account's mean
        projected first response for that severity (0 when unbounded)."""
        snap = self.snap
        size = snap.accounts * S
        key = snap.ticket_account * S + self.severity
        finite = np.isfinite(projected)
        unbounded = np.isinf(projected)
        total = np.bincount(key[finite], weights=projected[finite], minlength=size)
        count = np.bincount(key[finite], minlength=size)
        stuck = np.bincount(key[unbounded], minlength=size)
        present = np.flatnonzero(count + stuck)
        sev = present % S
        mean = total[present] / np.maximum(count[present], 1)
        x = np.where(stuck[present] > 0, 0.0, self.neutral_target[sev] / np.maximum(mean, 1.0))
        groups = sev * len(CRITICALITIES) + snap.criticality[present // S].astype(np.int64)
        return measures.jain_by_group(x, groups, S * len(CRITICALITIES))
