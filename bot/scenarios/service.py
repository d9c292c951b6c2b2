"""Scenarios, the front door: evaluate a tier policy variant, or sweep one threshold, on today's data.

Plain functions with explicit dependencies (a Connection or Session, the Policy, now) that return typed
results or a typed refusal. Read-only: they run SELECTs and nothing else (the cache file aside). The
data come as arrays from `bot.scenarios.cache` (read from the database once per data version, then from
memory or an .npz file); each variant is then a few numpy passes over them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import Connection, func, select
from sqlalchemy.orm import Session

from bot.policy.model import Policy
from bot.scenarios.variant import RefusalKind, Refused, SweepSpec, Variant, apply
from storage.models import Account

if TYPE_CHECKING:
    # numpy and the model load when a scenario runs, not when a web worker imports the handlers
    # (the /tier workers' memory budget is 200 MB; numpy alone is ~20 MB).
    import numpy as np

    from bot.scenarios.backtest import Backtest
    from bot.scenarios.cache import SnapshotCache
    from bot.scenarios.projection import Measures, Model, TierFigures
    from bot.scenarios.snapshot import Snapshot
    from bot.scenarios.sweep import FlipPoint, SweepRow

LARGEST_MOVERS = 10


@dataclass(frozen=True)
class Move:
    from_tier: str
    to_tier: str
    accounts: int
    acv: float


@dataclass(frozen=True)
class Mover:
    account_id: int
    name: str
    acv: float
    from_tier: str
    to_tier: str


@dataclass(frozen=True)
class ScenarioResult:
    variant: Variant
    now: datetime
    days: int
    accounts: int
    tickets: int
    thresholds_today: tuple[tuple[str, Decimal], ...]  # (tier key, min_acv), highest first
    thresholds_variant: tuple[tuple[str, Decimal], ...]
    today: tuple[TierFigures, ...]  # highest tier first
    projected: tuple[TierFigures, ...]
    today_measures: Measures
    measures: Measures
    moves: tuple[Move, ...]
    movers: tuple[Mover, ...]  # the largest by ACV

    @property
    def accounts_moved(self) -> int:
        return sum(m.accounts for m in self.moves)

    @property
    def acv_moved(self) -> float:
        return sum(m.acv for m in self.moves)


@dataclass(frozen=True)
class SweepResult:
    spec: SweepSpec
    now: datetime
    days: int
    accounts: int
    tickets: int
    today_value: Decimal
    today_measures: Measures
    rows: tuple[SweepRow, ...]
    flip: FlipPoint


@dataclass(frozen=True)
class BacktestResult:
    now: datetime
    days: int
    accounts: int
    tickets: int
    backtest: Backtest


def account_count(conn: Connection | Session) -> int:
    """For "running over N accounts…" before the work starts."""
    return int(conn.scalar(select(func.count()).select_from(Account)) or 0)


def _check_days(conn: Connection | Session, now: datetime, days: int) -> Refused | None:
    from bot.scenarios.snapshot import data_days

    available = data_days(conn, now)
    if available == 0:
        return Refused(RefusalKind.DAYS, "there are no tickets to project from: import tickets first.")
    if days > available:
        return Refused(
            RefusalKind.DAYS,
            f"days={days}: the tickets go back {available} days; use days={available} or fewer.",
        )
    return None


def _thresholds(policy: Policy) -> tuple[tuple[str, Decimal], ...]:
    return tuple((t.key, t.min_acv) for t in policy.tiers)


def _moves(model: Model, ranks: np.ndarray) -> tuple[tuple[Move, ...], np.ndarray]:
    import numpy as np

    n = model.n_tiers
    today = model.today
    moved = np.flatnonzero(today != ranks)
    pair = today[moved] * n + ranks[moved]
    counts = np.bincount(pair, minlength=n * n)
    acv = np.bincount(pair, weights=model.snap.acv[moved], minlength=n * n)
    moves = tuple(
        Move(model.by_rank[k // n].key, model.by_rank[k % n].key, int(counts[k]), float(acv[k]))
        for k in np.flatnonzero(counts)
    )
    return moves, moved


def _snapshot(conn: Connection | Session, now: datetime, days: int, cache: SnapshotCache | None) -> Snapshot:
    from bot.scenarios.cache import shared

    return (cache or shared(conn)).snapshot(conn, now, days)


def run_scenario(
    conn: Connection | Session,
    policy: Policy,
    now: datetime,
    variant: Variant,
    days: int | None = None,
    *,
    cache: SnapshotCache | None = None,
) -> ScenarioResult | Refused:
    """`cache`: where the data come from between runs; default, the process's (`cache.shared`)."""
    import numpy as np

    from bot.scenarios.projection import Model

    days = variant.days if days is None else days
    refused = _check_days(conn, now, days)
    if refused is not None:
        return refused
    model = Model(_snapshot(conn, now, days, cache), policy)
    varied = apply(policy, variant)
    today = model.evaluate(policy, model.today)
    projected = model.evaluate(varied)
    moves, moved = _moves(model, projected.ranks)
    top = moved[np.argsort(-model.snap.acv[moved], kind="stable")[:LARGEST_MOVERS]]
    ids = [int(model.snap.account_ids[i]) for i in top]
    rows = conn.execute(select(Account.id, Account.name).where(Account.id.in_(ids))).all() if ids else []
    names = {int(r[0]): str(r[1]) for r in rows}
    movers = tuple(
        Mover(
            account_id=int(model.snap.account_ids[i]),
            name=names.get(int(model.snap.account_ids[i]), ""),
            acv=float(model.snap.acv[i]),
            from_tier=model.by_rank[model.today[i]].key,
            to_tier=model.by_rank[projected.ranks[i]].key,
        )
        for i in top
    )
    return ScenarioResult(
        variant=Variant(variant.thresholds, variant.strategic_lift, variant.critical_floor, days),
        now=now,
        days=days,
        accounts=model.snap.accounts,
        tickets=model.snap.tickets,
        thresholds_today=_thresholds(policy),
        thresholds_variant=_thresholds(varied),
        today=today.tiers,
        projected=projected.tiers,
        today_measures=today.measures,
        measures=projected.measures,
        moves=moves,
        movers=movers,
    )


def run_sweep(
    conn: Connection | Session,
    policy: Policy,
    now: datetime,
    spec: SweepSpec,
    *,
    cache: SnapshotCache | None = None,
) -> SweepResult | Refused:
    from bot.scenarios.projection import Model
    from bot.scenarios.sweep import flip_point, row

    days = spec.base.days
    refused = _check_days(conn, now, days)
    if refused is not None:
        return refused
    model = Model(_snapshot(conn, now, days, cache), policy)
    today = model.evaluate(policy, model.today).measures
    rows = tuple(
        row(value, today, model.evaluate(apply(policy, spec.base.with_threshold(spec.tier, value))).measures)
        for value in spec.values
    )
    today_value = policy.tier(spec.tier).min_acv
    return SweepResult(
        spec=spec,
        now=now,
        days=days,
        accounts=model.snap.accounts,
        tickets=model.snap.tickets,
        today_value=today_value,
        today_measures=today,
        rows=rows,
        flip=flip_point(rows, today_value, today, spec.budget),
    )


def run_backtest(
    conn: Connection | Session, policy: Policy, now: datetime, days: int, min_tickets: int = 5
) -> BacktestResult | Refused:
    """How well the projection's first-response model predicts held-back data, against alternatives
    (`backtest.py` says how). Read-only, like the rest; deterministic for the same data."""
    from bot.scenarios.backtest import backtest, windows
    from bot.scenarios.snapshot import load

    if not windows(days):
        return Refused(
            RefusalKind.DAYS, f"days={days}: a backtest needs at least 2 days to fit and hold back."
        )
    refused = _check_days(conn, now, days)
    if refused is not None:
        return refused
    snap = load(conn, now, days)
    return BacktestResult(now, days, snap.accounts, snap.tickets, backtest(snap, policy, min_tickets))
