"""Benchmark: `build_digest` over 100,000 accounts and 1,000,000 tickets (target < 3 s).

    .venv/bin/python -m bench.digest [--accounts N] [--tickets N] [--open-share F] [--keep PATH] [--runs 3]

Data come from `bench.sla_digest.generate` (generated inside the database, in seconds). Runs on SQLite
and, when TEST_DATABASE_URL is set, on PostgreSQL too, in a schema of its own (`bench_digest`), so
neither the test schema nor the SLA bench's database is touched. Each timed run is a child process, so
its peak RSS is the digest's own, not the generator's. Wall time and CPU time are both printed: on a
shared machine wall time also counts waiting for a core. `--keep PATH` keeps and reuses the SQLite file.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

from bench import sla_digest
from bench.sla_digest import NOW, generate, peak_rss_mb
from bot.policy.model import load_policy
from storage.db import Database
from storage.models.tickets import Ticket

TARGET_SECONDS = 3.0
PG_SCHEMA = "bench_digest"


def _pg_url(url: str) -> str:
    """The same database with `bench_digest` as the only schema on the search path."""
    parsed = make_url(url)
    query = {"options": f"-csearch_path={PG_SCHEMA}"}
    return parsed.update_query_dict(query).render_as_string(hide_password=False)


def _bigint_series() -> None:
    """Work around `sla_digest.generate` on PostgreSQL: `generate_series(1, n)` yields int4 and
    `i * 7919` overflows past i = 271,000 ("integer out of range"). Counting in bigint fixes it; a no-op
    once the generator does so itself."""
    original = sla_digest._sql

    def patched(dialect: str) -> dict[str, str]:
        pieces = original(dialect)
        pieces["from"] = pieces["from"].replace("generate_series(1, ", "generate_series(1::bigint, ")
        return pieces

    sla_digest._sql = patched


def prepare(url: str, args: argparse.Namespace) -> None:
    db = Database(url)
    if db.is_sqlite and db.is_current():
        with db.sessions() as session:
            found = session.scalar(select(func.count()).select_from(Ticket))
        db.dispose()
        if found != args.tickets:
            raise SystemExit(f"{url} holds {found:,} tickets, not {args.tickets:,}: remove it first")
        print(f"  reusing {found:,} tickets")
        return
    if not db.is_sqlite:
        with db.engine.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {PG_SCHEMA} CASCADE"))
            conn.execute(text(f"CREATE SCHEMA {PG_SCHEMA}"))
        _bigint_series()
    db.upgrade()
    start = time.perf_counter()
    generate(db, args.accounts, args.tickets, args.open_share)
    print(
        f"  generated {args.accounts:,} accounts, {args.tickets:,} tickets in {time.perf_counter() - start:.0f} s"
    )
    db.dispose()


def measure_once(url: str, limit: int) -> dict[str, Any]:
    """One digest in this (fresh) process: seconds, CPU seconds, peak RSS and what it found."""
    from bot.digest import build_digest

    db = Database(url)
    policy = load_policy()
    rss_before = peak_rss_mb()
    with db.sessions() as session:
        start, cpu = time.perf_counter(), time.process_time()
        digest = build_digest(session, policy, NOW, limit=limit)
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    db.dispose()
    return {
        "seconds": seconds,
        "cpu": cpu,
        "rss_before": rss_before,
        "peak_rss": peak_rss_mb(),
        "breached": digest.breached_total,
        "at_risk": digest.at_risk_total,
        "items": len(digest.items),
        "more": digest.more_count,
        "enterprise_breaches": len(digest.enterprise_breaches),
        "attainment": {t: None if a is None else round(a, 1) for t, a in digest.attainment.items()},
    }


def run(label: str, url: str, args: argparse.Namespace) -> float:
    print(f"{label}:")
    prepare(url, args)
    times: list[float] = []
    for _ in range(args.runs):
        out = subprocess.run(
            [sys.executable, "-m", "bench.digest", "--measure", url, "--limit", str(args.limit)],
            check=True,
            capture_output=True,
            text=True,
        )
        r = json.loads(out.stdout.strip().splitlines()[-1])
        times.append(r["seconds"])
        print(
            f"  digest {r['seconds']:.2f} s (CPU {r['cpu']:.2f} s), peak RSS {r['peak_rss']:.0f} MiB "
            f"(after imports {r['rss_before']:.0f} MiB); {r['breached']:,} breached, {r['at_risk']:,} at risk, "
            f"{r['items']} listed + {r['more']:,} more, {r['enterprise_breaches']} enterprise breaches; "
            f"attainment {r['attainment']}"
        )
    best = min(times)
    print(
        f"  best {best:.2f} s; target < {TARGET_SECONDS:.0f} s: {'met' if best < TARGET_SECONDS else 'MISSED'}"
    )
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--open-share", type=float, default=0.03)
    parser.add_argument("--limit", type=int, default=15)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="SQLite file to keep and reuse")
    parser.add_argument("--sqlite-only", action="store_true")
    parser.add_argument("--measure", help=argparse.SUPPRESS)  # internal: one timed run in a child
    args = parser.parse_args(argv)
    if args.measure:
        print(json.dumps(measure_once(args.measure, args.limit)))
        return 0
    results: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        path = args.keep or Path(tmp) / "bench.db"
        results.append(run("SQLite", f"sqlite:///{path}", args))
    pg = os.environ.get("TEST_DATABASE_URL")
    if pg and not args.sqlite_only:
        results.append(run("PostgreSQL", _pg_url(pg), args))
    return 0 if all(r < TARGET_SECONDS for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
