"""Scenarios, the front door: evaluate a tier policy variant, sweep one threshold or backtest the
projection on today's data, and keep a result as decision evidence (`runs.py`) or re-check it later.

Plain functions with explicit dependencies (a Connection or Session, the Policy, now) that return typed
results or a typed refusal. The runs are read-only: they run SELECTs and nothing else (the cache file
aside; `keep_run` writes a kept run's row afterwards, in the caller's session). The
data come as arrays from `bot.scenarios.cache` (read from the database once per data version, then from
memory or an .npz file); each variant is then a few numpy passes over them.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import Connection, func, select
from sqlalchemy.orm import Session

from bot.policy.model import Policy
from bot.scenarios.chart import png_chart, text_chart
from bot.scenarios.evidence import SWEEP, Figure, Recheck, compare, figures_of
from bot.scenarios.results import (
    CANDIDATES,
    CURRENT,
    Backtest,
    BacktestResult,
    Candidate,
    Cell,
    FlipPoint,
    Level,
    Measures,
    Move,
    Mover,
    ScenarioResult,
    Score,
    SweepResult,
    SweepRow,
    TierFigures,
    Trial,
    Window,
)
from bot.scenarios.runs import Run, keep_run, load_run
from bot.scenarios.schema import backtest_json, scenario_json, sweep_json
from bot.scenarios.variant import RefusalKind, Refused, SweepSpec, Variant, apply, parse_sweep, parse_variant
from storage.models import Account

if TYPE_CHECKING:
    # numpy and the model load when a scenario runs, not when a web worker imports the handlers
    # (the /tier workers' memory budget is 200 MB; numpy alone is ~20 MB): nothing imported above
    # at run time loads it (`results.py` says why the types live apart).
    import numpy as np

    from bot.scenarios.cache import SnapshotCache
    from bot.scenarios.projection import Model
    from bot.scenarios.snapshot import Snapshot

# What adapters use, all from here: the use cases below, the results and refusals they return, the
# parsers of their arguments, the JSON and chart renderings of a result, and the runs kept as evidence.
__all__ = [
    "CANDIDATES",
    "CURRENT",
    "Backtest",
    "BacktestResult",
    "Candidate",
    "Cell",
    "FlipPoint",
    "Level",
    "Measures",
    "Move",
    "Mover",
    "RefusalKind",
    "Refused",
    "Run",
    "ScenarioResult",
    "Score",
    "SweepResult",
    "SweepRow",
    "SweepSpec",
    "TierFigures",
    "Trial",
    "Variant",
    "Window",
    "account_count",
    "backtest_json",
    "data_days",
    "keep_run",
    "load_run",
    "parse_sweep",
    "parse_variant",
    "png_chart",
    "recheck",
    "run_backtest",
    "run_scenario",
    "run_sweep",
    "scenario_json",
    "sweep_json",
    "text_chart",
]

LARGEST_MOVERS = 10


def account_count(conn: Connection | Session) -> int:
    """For "running over N accounts…" before the work starts."""
    return int(conn.scalar(select(func.count()).select_from(Account)) or 0)


def data_days(conn: Connection | Session, now: datetime) -> int:
    """How many days back the tickets go (0 with none): the most `days` a scenario can use."""
    from bot.scenarios import snapshot

    return snapshot.data_days(conn, now)


def _check_days(conn: Connection | Session, now: datetime, days: int) -> Refused | None:
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


def recheck(
    conn: Connection | Session,
    policy: Policy,
    now: datetime,
    kind: str,
    command: str,
    then: Mapping[str, Figure],
    then_as_of: datetime,
) -> Recheck:
    """The same scenario on current data (the same days window, ending now), and per key figure then →
    now. Slow on big data (seconds): callers run it off the request path."""
    if kind == SWEEP:
        spec = parse_sweep(policy, command)
        swept = spec if isinstance(spec, Refused) else run_sweep(conn, policy, now, spec)
        if isinstance(swept, Refused):
            return Recheck(kind, command, then_as_of, now, refused=swept.message)
        results = sweep_json(swept)
    else:
        variant = parse_variant(policy, command)
        ran = variant if isinstance(variant, Refused) else run_scenario(conn, policy, now, variant)
        if isinstance(ran, Refused):
            return Recheck(kind, command, then_as_of, now, refused=ran.message)
        results = scenario_json(ran)
    return Recheck(kind, command, then_as_of, now, compare(kind, then, figures_of(kind, results)))
