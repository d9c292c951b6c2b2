"""Benchmark: the SLA digest over 1,000,000 tickets of 100,000 accounts (target < 3 s, bounded memory).

    .venv/bin/python -m bench.sla_digest [--accounts N] [--tickets N] [--open-share 0.03] [--top 25]
                                         [--import-rows N] [--sqlite-only]

Data are generated inside the database (SQLite: recursive CTE; PostgreSQL: generate_series), so setting
up a million rows takes seconds. Then, timed: stream every open ticket's SLA clocks
(`iter_open_ticket_states`), keep the top N at stake in a bounded heap, count states per tier, and add
per-tier attainment of the last 30 days from stored outcomes (one grouped query). Closed tickets are
never read row by row. PostgreSQL runs too when BENCH_DATABASE_URL or TEST_DATABASE_URL is set; the
bench uses its own database `<name>_sla_bench` on that server so it never touches the test schema.

`--import-rows N` also times `import_tickets` on an N-row CSV against the generated accounts.
"""

from __future__ import annotations

import argparse
import csv
import os
import resource
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bot.digest import full_breach_list
from bot.policy.model import load_policy
from bot.sla.clock import BREACHED
from bot.sla.metrics import attainment_by_tier
from bot.sla.state import TicketState, iter_open_ticket_states, top_at_stake
from bot.tickets.importer import import_tickets
from storage.db import Database

TARGET_SECONDS = 3.0
NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def rss_mb() -> float:
    """Current resident set size (Linux /proc; falls back to the peak)."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        return peak_rss_mb()


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


# -- generation ------------------------------------------------------------------------------------------


def _sql(dialect: str) -> dict[str, str]:
    """Dialect pieces: the row source and 'timestamp N seconds before :now'."""
    if dialect == "sqlite":
        return {
            "rows": "WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < :n) ",
            "from": "FROM seq",
            "ago": "strftime('%Y-%m-%d %H:%M:%S', :now - ({x}), 'unixepoch') || '.000000'",
            "plus": "strftime('%Y-%m-%d %H:%M:%S', substr({col}, 1, 19), '+{m} minutes') || '.000000'",
            "true": "1",
            "false": "0",
            "last2": "substr(id, -2)",
        }
    return {
        "rows": "",
        "from": "FROM generate_series(CAST(1 AS BIGINT), :n) AS seq(i)",
        "ago": "to_timestamp(:now - ({x}))",
        "plus": "{col} + interval '{m} minutes'",
        "true": "true",
        "false": "false",
        "last2": "right(id, 2)",
    }


def _tier(account: str) -> str:
    # ACV of account k is ((k * 7919) % 100000) + 500; tiers follow the default policy's thresholds.
    acv = f"((({account}) * 7919) % 100000 + 500)"
    return f"CASE WHEN {acv} >= 25000 THEN 'enterprise' WHEN {acv} >= 5000 THEN 'professional' ELSE 'starter' END"


def generate(db: Database, accounts: int, tickets: int, open_share: float) -> None:
    q = _sql(db.engine.dialect.name)
    now = NOW.timestamp()
    open_per_10k = round(open_share * 10000)
    with db.engine.begin() as conn:
        conn.execute(
            text(
                q["rows"]
                + "INSERT INTO accounts (id, external_id, name, name_key, domain, acv, usage_criticality, "
                "strategic, health_score, owner, region, tier, created_at, updated_at) "
                "SELECT i, 'ACC-' || i, 'Account ' || i, 'account ' || i, 'a' || i || '.example', "
                f"((i * 7919) % 100000) + 500, 'medium', {q['false']}, (i * 37) % 100, NULL, 'NA', {_tier('i')}, "
                f"{q['ago'].format(x='86400 * 400')}, {q['ago'].format(x='0')} {q['from']}"
            ),
            {"n": accounts, "now": now},
        )
        is_open = f"(i % 10000) < {open_per_10k}"
        opened = f"(i * 7919) % {14 * 86400}"
        closed = f"(i * 7919) % {365 * 86400}"
        created = f"CASE WHEN {is_open} THEN {q['ago'].format(x=opened)} ELSE {q['ago'].format(x=closed)} END"
        open_status = (
            "CASE (i / 7) % 4 WHEN 0 THEN 'new' WHEN 1 THEN 'open' WHEN 2 THEN 'pending' ELSE 'on-hold' END"
        )
        first_response = (
            f"CASE WHEN {is_open} AND (i / 7) % 4 = 0 THEN NULL "
            f"WHEN {is_open} THEN {q['ago'].format(x=f'{opened} - 60 * (i % 240 + 1)')} "
            f"ELSE {q['ago'].format(x=f'{closed} - 60 * (i % 300 + 1)')} END"
        )
        decided = f"CASE WHEN {is_open} THEN NULL WHEN i % 10 = 0 THEN {q['false']} ELSE {q['true']} END"
        conn.execute(
            text(
                q["rows"]
                + "INSERT INTO tickets (id, account_id, severity, status, subject, assignee, created_at, "
                "first_response_at, solved_at, handle_minutes, agent_replies, csat, sla_tier, "
                "first_response_minutes, resolution_minutes, first_response_met, resolution_met, updated_at) "
                "SELECT 'T' || i, (i * 7) % :accounts + 1, "
                "CASE (i * 13) % 10 WHEN 0 THEN 'sev1' WHEN 1 THEN 'sev2' WHEN 2 THEN 'sev2' "
                "WHEN 7 THEN 'sev4' WHEN 8 THEN 'sev4' WHEN 9 THEN 'sev4' ELSE 'sev3' END, "
                f"CASE WHEN {is_open} THEN {open_status} WHEN i % 7 = 0 THEN 'closed' ELSE 'solved' END, "
                f"'Ticket ' || i, 'agent' || (i % 50), {created}, {first_response}, "
                f"CASE WHEN {is_open} THEN NULL ELSE {q['ago'].format(x=f'{closed} - 60 * (i % 5000 + 60)')} END, "
                "i % 120 + 5, i % 5, CASE WHEN i % 3 = 0 THEN NULL ELSE i % 5 + 1 END, "
                f"{_tier('(i * 7) % :accounts + 1')}, "
                f"CASE WHEN {is_open} AND (i / 7) % 4 = 0 THEN NULL ELSE i % 300 + 1 END, "
                f"CASE WHEN {is_open} THEN NULL ELSE i % 5000 + 60 END, "
                f"CASE WHEN {is_open} AND (i / 7) % 4 = 0 THEN NULL WHEN i % 9 = 0 THEN {q['false']} "
                f"ELSE {q['true']} END, {decided}, {q['ago'].format(x='0')} {q['from']}"
            ),
            {"n": tickets, "now": now, "accounts": accounts},
        )
        # Status history: open tickets that waited on the customer, and one in twenty solved tickets.
        some_solved = f"(status = 'solved' AND {q['last2']} IN ('00', '20', '40', '60', '80'))"
        conn.execute(
            text(
                "INSERT INTO ticket_events (ticket_id, at, status) SELECT id, first_response_at, 'pending' "
                "FROM tickets WHERE first_response_at IS NOT NULL "
                f"AND (status IN ('open', 'pending', 'on-hold') OR {some_solved})"
            )
        )
        conn.execute(
            text(
                "INSERT INTO ticket_events (ticket_id, at, status) "
                f"SELECT id, {q['plus'].format(col='first_response_at', m=30)}, "
                "CASE WHEN status = 'solved' THEN 'open' ELSE status END FROM tickets "
                f"WHERE first_response_at IS NOT NULL AND (status IN ('open', 'on-hold') OR {some_solved})"
            )
        )
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE"))


# -- the digest --------------------------------------------------------------------------------------------


def run_digest(db: Database, top: int) -> dict[str, float]:
    policy = load_policy()
    per_tier: Counter[tuple[str, str]] = Counter()
    tickets_seen: set[str] = set()
    rss_before = rss_mb()
    cpu0 = time.process_time()
    t0 = time.perf_counter()
    with db.session() as session:

        def counted(states: Iterator[TicketState]) -> Iterator[TicketState]:
            for state in states:
                per_tier[state.tier, state.state] += 1
                tickets_seen.add(state.ticket_id)
                yield state

        ranked = top_at_stake(counted(iter_open_ticket_states(session, policy, NOW)), top)
        t1 = time.perf_counter()
        attainment = attainment_by_tier(session, NOW - timedelta(days=30), NOW)
        t2 = time.perf_counter()
    cpu = time.process_time() - cpu0
    states = sum(per_tier.values())
    print(f"  open tickets {len(tickets_seen):,}, clocks {states:,}")
    for tier in (t.key for t in policy.tiers):
        met, decided = attainment.get(tier, (0, 0))
        breached = per_tier[tier, BREACHED]  # running clocks already past target count as missed
        share = met / (decided + breached) * 100 if decided + breached else float("nan")
        counts = {s: per_tier[tier, s] for s in ("ok", "at_risk", "breached")}
        print(f"  {tier:<13} 30-day attainment {share:5.1f}%  open clocks {counts}")
    for state in ranked[:5]:
        print(
            f"  top: {state.tier:<12} {state.state:<9} ACV {state.acv:>9} {state.ticket_id:<9} "
            f"{state.metric:<15} {state.minutes_left:>7} min"
        )
    return {
        "stream": t1 - t0,
        "attainment": t2 - t1,
        "total": t2 - t0,
        "cpu": cpu,
        "rate": len(tickets_seen) / (t1 - t0),
        "rss_delta": rss_mb() - rss_before,
    }


def run_import(db: Database, rows: int, accounts: int) -> float:
    """Time import_tickets on a CSV of `rows` new tickets (into the generated database, as an upsert)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "tickets.csv"
        with path.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(["id", "account", "severity", "status", "created_at", "first_response_at",
                             "solved_at", "handle_minutes", "agent_replies", "csat", "subject", "assignee"])  # fmt: skip
            for i in range(rows):
                created = NOW - timedelta(minutes=(i * 7919) % (365 * 1440))
                solved = i % 30 != 0
                writer.writerow([
                    f"IMP-{i}", f"ACC-{i % accounts + 1}", f"sev{i % 4 + 1}", "solved" if solved else "open",
                    created.isoformat(), (created + timedelta(minutes=i % 300 + 1)).isoformat(),
                    (created + timedelta(minutes=i % 5000 + 400)).isoformat() if solved else "",
                    i % 120, i % 5, i % 5 + 1 if i % 3 else "", f"Imported ticket {i}", f"agent{i % 50}",
                ])  # fmt: skip
        t0 = time.perf_counter()
        report = import_tickets(db, load_policy(), path)
        seconds = time.perf_counter() - t0
        assert report.ok and report.created == rows, report.errors[:5]
    return seconds


def run_reposts(db: Database, interval: timedelta = timedelta(minutes=60)) -> tuple[float, float, int]:
    """The breach-reposts job's scan (top-tier breaches overdue for an interval), as it was (every
    ticket that may be at risk now, filtered afterwards) and as it is (pruned to what may have
    breached an interval ago). Same answer; returns both times and the number of breaches."""
    policy = load_policy()
    top = {policy.tiers[0].key}
    since = NOW - interval
    with db.session() as session:
        t0 = time.perf_counter()
        before = [
            i.ticket_id
            for i in full_breach_list(session, policy, NOW, top)
            if i.state == BREACHED and i.due_at <= since
        ]
        t1 = time.perf_counter()
        after = [i.ticket_id for i in full_breach_list(session, policy, NOW, top, breached_since=since)]
        t2 = time.perf_counter()
    assert after == before, "the pruned scan must list the same breaches"
    return t1 - t0, t2 - t1, len(after)


def bench(name: str, db: Database, args: argparse.Namespace, fresh: bool = True) -> bool:
    print(f"\n{name}: {db.url.split('@')[-1]}")
    if fresh:
        t0 = time.perf_counter()
        generate(db, args.accounts, args.tickets, args.open_share)
        seconds = time.perf_counter() - t0
        print(f"  generated {args.accounts:,} accounts and {args.tickets:,} tickets in {seconds:.1f} s")
    result = run_digest(db, args.top)
    ok = result["total"] < TARGET_SECONDS
    print(
        f"  digest: stream + rank {result['stream']:.2f} s ({result['rate']:,.0f} open tickets/s), "
        f"attainment {result['attainment']:.2f} s, total {result['total']:.2f} s "
        f"(this process's CPU {result['cpu']:.2f} s) "
        f"[{'ok' if ok else 'SLOW'}: target {TARGET_SECONDS:.0f} s]"
    )
    print(
        f"  memory: RSS grew {result['rss_delta']:.1f} MiB during the digest; peak RSS {peak_rss_mb():.0f} MiB"
    )
    unpruned, pruned, found = run_reposts(db)
    print(
        f"  breach-reposts scan ({found:,} top-tier breaches over an hour old): {pruned:.2f} s, "
        f"against {unpruned:.2f} s unpruned (ratio {pruned / unpruned:.2f})"
    )
    if args.import_rows:
        seconds = run_import(db, args.import_rows, args.accounts)
        print(
            f"  import_tickets: {args.import_rows:,} rows in {seconds:.1f} s ({args.import_rows / seconds:,.0f} rows/s)"
        )
        print(f"  peak RSS {peak_rss_mb():.0f} MiB")
    return ok


def _postgres(url: str) -> Database:
    """A database of our own next to the given one, emptied."""
    parsed = make_url(url)
    bench_db = f"{parsed.database}_sla_bench"
    admin = create_engine(parsed, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :d"), {"d": bench_db}):
            conn.execute(text(f'CREATE DATABASE "{bench_db}"'))
    admin.dispose()
    db = Database(parsed.set(database=bench_db).render_as_string(hide_password=False))
    with db.engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    db.upgrade()
    return db


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--open-share", type=float, default=0.03)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--import-rows", type=int, default=0)
    parser.add_argument("--sqlite-only", action="store_true")
    parser.add_argument(
        "--sqlite-file", type=Path, help="keep the SQLite database here; reuse it if it exists"
    )
    args = parser.parse_args()
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        path = args.sqlite_file or Path(tmp) / "bench.db"
        fresh = not path.exists()
        db = Database(f"sqlite:///{path}")
        db.upgrade()
        ok &= bench("SQLite", db, args, fresh)
        db.dispose()
    pg_url = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL")
    if pg_url and not args.sqlite_only:
        db = _postgres(pg_url)
        ok &= bench("PostgreSQL", db, args)
        db.dispose()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
