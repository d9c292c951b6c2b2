"""Benchmark: scenarios over 100,000 accounts and 1,000,000 tickets of the last 90 days (SQLite).

    .venv/bin/python -m bench.scenarios [--accounts N] [--tickets N] [--sqlite-file PATH]

Data are generated inside the database (recursive CTE, as in bench/sla_digest.py), then, timed, the
front door end to end (`run_scenario`, `run_sweep`, with a `SnapshotCache` on a fresh directory):
- cold: the first run, empty cache (reads the database, writes the .npz file);
- warm: the next runs of the same process (the arrays from memory), also five minutes later (a new
  `now`: the same arrays, another window);
- from the file: a process that has not run a scenario yet (a restarted or another worker);
- the 15-step sweep, warm;
then the pieces: the baseline (reading the snapshot from the database, uncached), preparing the model
(per-ticket times, business minutes on each SLA calendar, today's medians), one variant and the 15-step
sweep on the arrays. Every time is also a ratio to the baseline measured in the same run (the machine is
shared: ratios move less than seconds), and the load average is printed before and after. The policy
is the default with staffing sized to the generated load (85% utilisation today), so the queues are
neither idle nor overloaded. Targets: one variant ≤ 1 s, 15-step sweep ≤ 10 s, peak RSS ≤ 300 MB.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import text

from bench.sla_digest import NOW, _sql, peak_rss_mb
from bot.policy.model import Policy, Staffing, load_policy
from bot.scenarios.cache import Served, SnapshotCache
from bot.scenarios.projection import Model
from bot.scenarios.service import ScenarioResult, SweepResult, run_scenario, run_sweep
from bot.scenarios.snapshot import load
from bot.scenarios.variant import SweepSpec, Variant, apply, parse_sweep
from storage.db import Database

DAYS = 90
TARGET_ONE, TARGET_SWEEP, TARGET_RSS = 1.0, 10.0, 300.0


def generate(db: Database, accounts: int, tickets: int) -> None:
    q = _sql(db.engine.dialect.name)
    now = NOW.timestamp()
    acv = "((i * 7919) % 100000 + 500)"
    tier = f"CASE WHEN {acv} >= 25000 THEN 'enterprise' WHEN {acv} >= 5000 THEN 'professional' ELSE 'starter' END"
    crit = "CASE i % 20 WHEN 0 THEN 'critical' WHEN 1 THEN 'high' WHEN 2 THEN 'high' WHEN 3 THEN 'low' ELSE 'medium' END"
    with db.engine.begin() as conn:
        conn.execute(
            text(
                q["rows"]
                + "INSERT INTO accounts (id, external_id, name, name_key, domain, acv, usage_criticality, "
                "strategic, health_score, owner, region, tier, created_at, updated_at) "
                f"SELECT i, 'ACC-' || i, 'Account ' || i, 'account ' || i, 'a' || i || '.example', {acv}, {crit}, "
                f"CASE WHEN i % 25 = 0 THEN {q['true']} ELSE {q['false']} END, (i * 37) % 100, NULL, 'NA', {tier}, "
                f"{q['ago'].format(x='86400 * 400')}, {q['ago'].format(x='0')} {q['from']}"
            ),
            {"n": accounts, "now": now},
        )
        conn.execute(
            text(
                "INSERT INTO tier_overrides (account_id, tier, reason, set_by, expires_at, created_at) "
                f"SELECT id, 'enterprise', 'bench', 'bench', NULL, {q['ago'].format(x='86400')} "
                "FROM accounts WHERE id % 1000 = 0"
            ),
            {"now": now},
        )
        # Created over the last 89 days; 3% still open (a third of those unanswered).
        is_open = "(i % 100) < 3"
        ago = f"(i * 7919) % {89 * 86400} + 3600"
        conn.execute(
            text(
                q["rows"]
                + "INSERT INTO tickets (id, account_id, severity, status, subject, assignee, created_at, "
                "first_response_at, solved_at, handle_minutes, agent_replies, csat, sla_tier, "
                "first_response_minutes, resolution_minutes, first_response_met, resolution_met, updated_at) "
                "SELECT 'T' || i, (i * 7) % :accounts + 1, "
                "CASE (i * 13) % 10 WHEN 0 THEN 'sev1' WHEN 1 THEN 'sev2' WHEN 2 THEN 'sev2' "
                "WHEN 7 THEN 'sev4' WHEN 8 THEN 'sev4' WHEN 9 THEN 'sev4' ELSE 'sev3' END, "
                f"CASE WHEN {is_open} THEN 'open' ELSE 'solved' END, 'Ticket ' || i, 'agent' || (i % 50), "
                f"{q['ago'].format(x=ago)}, "
                f"CASE WHEN {is_open} AND i % 3 = 0 THEN NULL ELSE {q['ago'].format(x=f'{ago} - 60 * (i % 600 + 1)')} END, "
                f"CASE WHEN {is_open} THEN NULL ELSE {q['ago'].format(x=f'{ago} - 60 * (i % 3000 + 700)')} END, "
                "i % 60 + 5, i % 5, NULL, 'starter', "
                f"CASE WHEN {is_open} AND i % 3 = 0 THEN NULL ELSE i % 600 + 1 END, "
                f"CASE WHEN {is_open} THEN NULL ELSE i % 3000 + 700 END, NULL, NULL, "
                f"{q['ago'].format(x='0')} {q['from']}"
            ),
            {"n": tickets, "now": now, "accounts": accounts},
        )
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE"))


def staffed(policy: Policy, db: Database) -> Policy:
    """The default policy with each tier's agents sized to today's load at 85% utilisation (sized from
    the stored tiers with one SQL aggregate, so sizing leaves no arrays behind in this process)."""
    with db.engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT a.tier, COUNT(*), SUM(t.handle_minutes) FROM tickets t "
                "JOIN accounts a ON a.id = t.account_id GROUP BY a.tier"
            )
        ).all()
    load = {tier: (count, handle) for tier, count, handle in rows}
    tiers = []
    hours = 40.0
    for tier in policy.tiers:
        count, handle = load.get(tier.key, (0, 0))
        erlangs = count / (hours * DAYS / 7) * (handle / max(count, 1) / 60)
        agents = max(1, math.ceil(erlangs / 0.85))
        tiers.append(tier.model_copy(update={"staffing": Staffing(agents=agents, hours_per_week=hours)}))
    return policy.model_copy(update={"tiers": tuple(tiers)})


def timed(label: str, fn, repeat: int = 1):  # type: ignore[no-untyped-def]
    """Best wall time of `repeat` runs, printed with that run's CPU time: on a shared machine the
    wall clock includes waiting for a core, the CPU time does not."""
    best, cpu, out = math.inf, math.inf, None
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        out = fn()
        wall = time.perf_counter() - t0
        if wall < best:
            best, cpu = wall, time.process_time() - c0
    print(f"  {label}: {best:.3f} s (CPU {cpu:.3f} s)")
    return best, out


def load_average() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min) on {os.cpu_count()} cores"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--sqlite-file", type=Path, help="keep the database here; reuse it if it exists")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = args.sqlite_file or Path(tmp) / "scenarios.db"
        fresh = not path.exists()
        db = Database(f"sqlite:///{path}")
        db.upgrade()
        if fresh:
            t0 = time.perf_counter()
            generate(db, args.accounts, args.tickets)
            print(
                f"generated {args.accounts:,} accounts and {args.tickets:,} tickets in {time.perf_counter() - t0:.1f} s"
            )
        policy = staffed(load_policy(), db)
        print(
            "staffing: "
            + ", ".join(f"{t.key} {t.staffing.agents if t.staffing else 0}" for t in policy.tiers)
        )
        variant = Variant((("enterprise", Decimal(30000)), ("professional", Decimal(8000))), days=DAYS)
        spec = parse_sweep(policy, "enterprise=15000..50000 step 2500 days=90")
        assert isinstance(spec, SweepSpec) and len(spec.values) == 15
        files = Path(tmp) / "cache"  # empty: the first run is cold
        cache = SnapshotCache(files)
        later = NOW + timedelta(minutes=5)
        with db.engine.connect() as conn:
            print(f"SQLite, {args.accounts:,} accounts, {args.tickets:,} tickets in the last {DAYS} days")
            print(f"  before: {load_average()}")
            # End to end first, so that the peak RSS is what the front door needs, its cache included.
            cold, result = timed(
                "cold: run_scenario, empty cache (reads the database, writes the file)",
                lambda: run_scenario(conn, policy, NOW, variant, cache=cache),
            )
            assert cache.last is Served.DATABASE
            warm, _ = timed(
                "warm: run_scenario, same process",
                lambda: run_scenario(conn, policy, NOW, variant, cache=cache),
                3,
            )
            warm_later, _ = timed(
                "warm: run_scenario five minutes later",
                lambda: run_scenario(conn, policy, later, variant, cache=cache),
                3,
            )
            assert cache.last is Served.MEMORY
            sweep_warm, swept = timed(
                "warm: run_sweep, 15 steps", lambda: run_sweep(conn, policy, NOW, spec, cache=cache)
            )
            kept = cache.source(conn, NOW - timedelta(days=DAYS)).nbytes / 2**20  # from memory
            cache.clear()  # the next process: nothing in memory, the file on disk
            disk = SnapshotCache(files, keep_in_memory=False)
            from_file, _ = timed(
                "from the file: run_scenario in a process with an empty memory",
                lambda: run_scenario(conn, policy, NOW, variant, cache=disk),
                3,
            )
            assert disk.last is Served.FILE
            timed(
                "  of which the cache file alone (np.load)",
                lambda: disk.source(conn, NOW - timedelta(days=DAYS)),
                3,
            )
            rss = peak_rss_mb()
            print(f"  peak RSS {rss:.0f} MiB (cold run, warm runs and the sweep, entry kept in memory)")
            size = sum(f.stat().st_size for f in files.iterdir()) / 2**20
            print(f"  cache file {size:.0f} MiB; the entry kept in memory {kept:.0f} MiB")
            base, snap = timed("baseline: read the snapshot (uncached)", lambda: load(conn, NOW, DAYS), 2)
            _, model = timed("prepare the model (calendars, today)", lambda: Model(snap, policy))
            one, _ = timed("one variant on the arrays", lambda: model.evaluate(apply(policy, variant)), 3)
            sweep, _ = timed(
                "15-step sweep on the arrays",
                lambda: [
                    model.evaluate(apply(policy, spec.base.with_threshold(spec.tier, v))) for v in spec.values
                ],
            )
            print(f"  after: {load_average()}")
        assert isinstance(result, ScenarioResult) and isinstance(swept, SweepResult)
        print(
            f"  ratios to the baseline read: cold {cold / base:.2f}, warm {warm / base:.2f}, "
            f"warm 5 min later {warm_later / base:.2f}, from the file {from_file / base:.2f}, "
            f"sweep warm {sweep_warm / base:.2f}; on the arrays: one variant {one / base:.2f}, "
            f"sweep {sweep / base:.2f}"
        )
        print(
            f"  moved: {result.accounts_moved:,} accounts; D {result.today_measures.differentiation:.3f} -> "
            f"{result.measures.differentiation:.3f}; flip {swept.flip.flip}"
        )
        print(f"  CPU time of this process: {time.process_time():.1f} s")
        ok = warm <= TARGET_ONE and sweep_warm <= TARGET_SWEEP and rss <= TARGET_RSS
        print(
            f"targets (end to end, warm): one variant ≤ {TARGET_ONE:.0f} s, sweep ≤ {TARGET_SWEEP:.0f} s, "
            f"RSS ≤ {TARGET_RSS:.0f} MB: {'ok' if ok else 'MISSED'} (the cold run is acked at once and "
            "posted when done, whatever its time)"
        )
        db.dispose()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
