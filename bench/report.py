"""Benchmark: the per-tier report over 1,000,000 tickets of 100,000 accounts.

    .venv/bin/python -m bench.report [--accounts N] [--tickets N] [--sqlite-file PATH] [--sqlite-only]

Targets: `tierbot report` (the service, the terminal table and the chart) <= 5 s; `/sla report`
acks at once and computes in a lazy listener, so Slack's 3 s bounds only the ack (the report itself
is printed against 3 s as well, so a lazy answer is prompt too). Each figure is also given as a ratio
to a baseline measured in the same run: a bare `SELECT COUNT(*) FROM tickets`, which says how fast this
machine and database are right now (the machine is shared).

Data come from `bench.sla_digest.generate` (inserted inside the database: seconds for a million rows);
PostgreSQL runs too when BENCH_DATABASE_URL or TEST_DATABASE_URL is set, in its own database.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import text

from bench.sla_digest import NOW, _postgres, generate
from bot.policy.model import load_policy
from bot.reports import service as reports
from bot.sla.state import iter_open_ticket_states
from bot.views import report as report_view
from bot.views import report_chart
from storage.db import Database

CLI_TARGET = 5.0
SLACK_TARGET = 3.0


def _time(fn: object) -> float:
    t0 = time.perf_counter()
    fn()  # type: ignore[operator]
    return time.perf_counter() - t0


def bench(name: str, db: Database, args: argparse.Namespace, fresh: bool) -> bool:
    print(f"\n{name}: {db.url.split('@')[-1]}")
    if fresh:
        t0 = time.perf_counter()
        generate(db, args.accounts, args.tickets, args.open_share)
        print(
            f"  generated {args.accounts:,} accounts and {args.tickets:,} tickets in {time.perf_counter() - t0:.1f} s"
        )
    policy = load_policy()
    with db.session() as session:
        count = session.scalar(text("SELECT COUNT(*) FROM tickets"))
        base = min(_time(lambda: session.scalar(text("SELECT COUNT(*) FROM tickets"))) for _ in range(3))
    print(f"  baseline: SELECT COUNT(*) over {count:,} tickets {base:.3f} s")
    # A second baseline doing comparable work: the SLA digest's stream of every open ticket's clocks,
    # README "Performance": 0.81 s on this machine when it is quiet. The report also reads those clocks.
    with db.session() as session:
        t0 = time.perf_counter()
        clocks = sum(1 for _ in iter_open_ticket_states(session, policy, NOW))
        stream = time.perf_counter() - t0
    print(
        f"  baseline: SLA digest stream of {clocks:,} open clocks {stream:.2f} s (README, quiet machine: 0.81 s)"
    )
    ok = True
    for period in reports.ReportPeriod:
        # `/sla report` and `tierbot report` without --chart: no weekly series.
        with db.session() as session:
            t0 = time.perf_counter()
            reports.tier_report(session, policy, period, now=NOW, at_risk_share=0.25, weekly=False)
            plain = time.perf_counter() - t0
        print(
            f"  {period.value:>7}: without the weekly series (/sla report, tierbot report): {plain:.2f} s "
            f"({plain / stream:.2f}x stream; at the quiet stream's 0.81 s: ~{plain / stream * 0.81:.1f} s)"
        )
        with db.session() as session:
            t0 = time.perf_counter()
            report = reports.tier_report(session, policy, period, now=NOW, at_risk_share=0.25)
            t1 = time.perf_counter()
        message = report_view.report_message(report)
        table = report_view.report_table(report)
        t2 = time.perf_counter()
        png = report_chart.render_png(report)
        t3 = time.perf_counter()
        service, cli = t1 - t0, t3 - t0
        good = cli <= CLI_TARGET and service <= SLACK_TARGET
        ok &= good
        tickets = sum(r.current.tickets for r in report.rows)
        print(
            f"  {period.value:>7}: with the chart (--chart, weekly post): service {service:.2f} s ({service / base:.1f}x COUNT, {service / stream:.2f}x stream), "
            f"views {t2 - t1:.3f} s, "
            f"chart {t3 - t2:.2f} s ({len(png) // 1024} KiB), report total {cli:.2f} s "
            f"({cli / stream:.2f}x stream; at the quiet stream's 0.81 s: ~{cli / stream * 0.81:.1f} s) "
            f"over {tickets:,} tickets in the period "
            f"[{'ok' if good else 'SLOW'}: tierbot report <= {CLI_TARGET:.0f} s, computed answer <= {SLACK_TARGET:.0f} s]"
        )
        assert len(message["blocks"]) <= 50 and table and io.BytesIO(png).read(4) == b"\x89PNG"
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--open-share", type=float, default=0.03)
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
        ok &= bench("PostgreSQL", db, args, True)
        db.dispose()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
