"""The projection's building blocks: tiers as the policy's own rules give them, overrides, calendars,
and the read-only guarantee."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import numpy as np
import pytest
from sqlalchemy import select

from bot.accounts.overrides import set_override
from bot.policy.evaluate import AccountFacts, evaluate
from bot.policy.model import CRITICALITIES, load_policy
from bot.scenarios.projection import positions, tier_ranks
from bot.scenarios.service import ScenarioResult, SweepResult, run_scenario, run_sweep
from bot.scenarios.snapshot import Snapshot
from bot.scenarios.variant import SweepSpec, Variant, apply, parse_sweep, parse_variant
from bot.sla.calendar import timeline
from storage.db import Database
from storage.models import Base
from tests.scenarios.example import NOW, POLICY, seed

P = load_policy()


def _snapshot(
    acv: np.ndarray, crit: np.ndarray, strategic: np.ndarray, overrides: tuple[tuple[int, str], ...]
) -> Snapshot:
    empty = np.empty(0)
    return Snapshot(
        NOW, 90, np.arange(acv.size, dtype=np.int64), acv, crit.astype(np.int8), strategic, overrides,
        np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int8), empty, empty, empty, empty,
    )  # fmt: skip


@pytest.mark.parametrize(
    "variant", ["", "enterprise=30000 professional=8000", "strategic-lift=0 critical-floor=enterprise"]
)
def test_tier_ranks_agree_with_evaluate(variant: str) -> None:
    rng = np.random.default_rng(3)
    n = 2000
    acv = np.round(rng.uniform(0, 60000, n), 2)
    acv[:8] = [0, 4999.99, 5000, 7999.99, 8000, 25000, 29999.99, 30000]
    crit = rng.integers(0, 4, n)
    strategic = rng.integers(0, 2, n).astype(bool)
    parsed = parse_variant(P, variant)
    assert isinstance(parsed, Variant)
    policy = apply(P, parsed)
    ranks = tier_ranks(policy, _snapshot(acv, crit, strategic, ()))
    for i in range(n):
        facts = AccountFacts(Decimal(str(acv[i])), CRITICALITIES[crit[i]], bool(strategic[i]))
        assert policy.by_rank(int(ranks[i])).key == evaluate(policy, facts).tier


def test_overrides_beat_the_variant_rules() -> None:
    acv = np.array([40000.0, 1000.0])
    snap = _snapshot(acv, np.array([1, 1]), np.array([False, False]), ((0, "starter"), (1, "enterprise")))
    policy = apply(P, Variant((("enterprise", Decimal(50000)),)))
    assert [policy.by_rank(int(r)).key for r in tier_ranks(policy, snap)] == ["starter", "enterprise"]


def test_vectorised_positions_match_the_timeline() -> None:
    line = timeline(P.calendars["business"])
    rng = np.random.default_rng(5)
    start = datetime(2026, 1, 1, tzinfo=UTC).timestamp()
    ts = start + rng.uniform(0, 330 * 86400, 3000)
    spans = line.intervals(float(ts.min()), float(ts.max()))
    assert np.allclose(positions(*spans, ts), [line.position(float(t)) for t in ts])


def _contents(db: Database) -> dict[str, str]:
    out = {}
    with db.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            rows = conn.execute(select(table).order_by(*table.primary_key.columns)).all()
            out[table.name] = f"{len(rows)}:{hashlib.sha256(repr(rows).encode()).hexdigest()}"
    return out


def test_scenarios_are_read_only(db: Database) -> None:
    ids = seed(db)
    set_override(db, POLICY, ids["A3"], "premium", "pilot", "UADMIN", NOW - timedelta(days=1))
    before = _contents(db)
    assert int(before["tickets"].split(":")[0]) == 9 and int(before["tier_overrides"].split(":")[0]) == 1
    with db.session() as session:  # a Session works as well as a Connection
        result = run_scenario(session, POLICY, NOW, Variant((("premium", Decimal(15000)),), 0, "premium", 7))
        spec = parse_sweep(POLICY, "premium=3000..21000 step 1000 days=7 budget=5000")
        assert isinstance(spec, SweepSpec)
        sweep = run_sweep(session, POLICY, NOW, spec)
    assert isinstance(result, ScenarioResult) and isinstance(sweep, SweepResult)
    assert _contents(db) == before
    # The override (A3 to premium) beat the variant's rules: A3 stays premium.
    assert result.projected[0].accounts >= 1 and all(m.name != "A3" for m in result.movers)
