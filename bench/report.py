"""Benchmark: the per-tier report over 1,000,000 tickets of 100,000 accounts, on SQLite and PostgreSQL.

    .venv/bin/python -m bench.report [--accounts N] [--tickets N] [--sqlite-file PATH] [--reuse]
                                     [--database-url URL | BENCH_DATABASE_URL=URL] [--sqlite-only | --postgresql-only]

Targets: `tierbot report` <= 5 s; `/sla report` acks at once and computes in a lazy listener, which
must answer within Slack's 3 s. Printed per period: the service without the weekly series (what
`/sla report` and a plain `tierbot report` compute), the service with it, the views and the chart
(`--chart`, the weekly post), and the real `tierbot report --chart` run as a subprocess (interpreter
start, imports, schema check, report, PNG). Each figure is also given as a ratio to two baselines
measured in the same run, which say how fast this machine and database are right now (the machine
is shared): a bare `SELECT COUNT(*) FROM tickets` and the SLA digest's stream of every open clock
(README "Performance": 0.81 s on SQLite when the machine is quiet). The load average is printed next
to the figures.

Data come from `bench.sla_digest.generate` (inserted inside the database: seconds for a million rows).
PostgreSQL runs too with --database-url or BENCH_DATABASE_URL: a database of the bench's own (its
`public` schema is dropped and rebuilt), never the test suite's (`TEST_DATABASE_URL` is refused), e.g.
`psql -h 127.0.0.1 -U postgres -c 'create database bench_report'` and
`--database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_report`. After generating, PostgreSQL
is vacuumed (as autovacuum does after a bulk insert) so that the report's covering index is read
without visiting the table.
"""

from __future__ import annotations

import argparse
import io
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from bench.sla_digest import NOW, generate
from bot.policy.model import Policy, load_policy
from bot.reports import aggregate
from bot.reports import service as reports
from bot.reports.periods import windows
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


def cli_seconds(db: Database, period: reports.ReportPeriod, chart: Path) -> float:
    """`tierbot report --period P --chart FILE` as a user runs it, from the interpreter's start."""
    env = os.environ | {"DATABASE_URL": db.url}
    t0 = time.perf_counter()
    script = Path(sys.executable).with_name("tierbot")  # the installed entry point, as a user runs it
    command = [str(script)] if script.exists() else [sys.executable, "-c", "from bot.cli import main; main()"]
    command += ["report", "--period", period.value, "--format", "md", "--chart", str(chart)]
    run = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - t0
    assert run.returncode == 0 and chart.read_bytes()[:4] == b"\x89PNG", run.stderr[-2000:]
    return seconds


def phases(db: Database, policy: Policy) -> None:
    """Where a quarter report with its weekly series spends its time: wall and this process's CPU
    (SQLite works in this process; PostgreSQL's share of the wall is the server's)."""
    w = windows(reports.ReportPeriod.QUARTER, NOW)
    every = (w.current, w.previous, *w.weeks)
    steps: dict[str, Callable[[Session], object]] = {
        "grouped sums (day, tier, severity)": lambda s: aggregate.ticket_sums(s, every),
        "distinct accounts (period and previous)": lambda s: aggregate.accounts_with_tickets(s, every, (0, 1)),
        "open tickets' breached clocks": lambda s: aggregate.open_breaches(s, policy, NOW, 0.25, every),
        "accounts and tier moves": lambda s: (aggregate.accounts_by_tier(s), aggregate.tier_moves(s, w.current)),
    }  # fmt: skip
    parts = []
    for label, step in steps.items():
        with db.session() as session:
            t0, c0 = time.perf_counter(), time.process_time()
            step(session)
            parts.append(f"{label} {time.perf_counter() - t0:.2f} s (CPU {time.process_time() - c0:.2f})")
    print("  quarter by phase: " + "; ".join(parts))


def bench(name: str, db: Database, args: argparse.Namespace, fresh: bool) -> bool:
    print(f"\n{name}: {db.url.split('@')[-1]}  ({load()})")
    if fresh:
        t0 = time.perf_counter()
        generate(db, args.accounts, args.tickets, args.open_share)
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE tickets"))
        print(
            f"  generated {args.accounts:,} accounts and {args.tickets:,} tickets in {time.perf_counter() - t0:.1f} s"
        )
    policy = load_policy()
    with db.session() as session:
        count = session.scalar(text("SELECT COUNT(*) FROM tickets"))
        base = min(_time(lambda: session.scalar(text("SELECT COUNT(*) FROM tickets"))) for _ in range(3))
    print(f"  baseline: SELECT COUNT(*) over {count:,} tickets {base:.3f} s")
    # A second baseline doing comparable work: the SLA digest's stream of every open ticket's clocks,
    # README "Performance": 0.81 s on SQLite when the machine is quiet. The report reads those clocks too.
    with db.session() as session:
        t0 = time.perf_counter()
        clocks = sum(1 for _ in iter_open_ticket_states(session, policy, NOW))
        stream = time.perf_counter() - t0
    print(f"  baseline: SLA digest stream of {clocks:,} open clocks {stream:.2f} s ({load()})")
    phases(db, policy)
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        for period in reports.ReportPeriod:
            # `/sla report` and `tierbot report` without --chart: no weekly series.
            with db.session() as session:
                t0 = time.perf_counter()
                plain_report = reports.tier_report(
                    session, policy, period, now=NOW, at_risk_share=0.25, weekly=False
                )
                report_view.report_message(plain_report)
                plain = time.perf_counter() - t0
            with db.session() as session:
                t0 = time.perf_counter()
                report = reports.tier_report(session, policy, period, now=NOW, at_risk_share=0.25)
                t1 = time.perf_counter()
            message = report_view.report_message(report)
            table = report_view.report_table(report)
            t2 = time.perf_counter()
            png = report_chart.render_png(report)
            t3 = time.perf_counter()
            cli = cli_seconds(db, period, Path(tmp) / f"{period.value}.png")
            service, charted = t1 - t0, t3 - t0
            good = plain <= SLACK_TARGET and cli <= CLI_TARGET
            ok &= good
            tickets = sum(r.current.tickets for r in report.rows)
            print(
                f"  {period.value:>7} ({tickets:,} tickets in the period; {load()}):\n"
                f"    /sla report answer (service + message): {plain:.2f} s = {plain / base:.0f}x COUNT, "
                f"{plain / stream:.2f}x stream [{'ok' if plain <= SLACK_TARGET else 'SLOW'}: <= {SLACK_TARGET:.0f} s]\n"
                f"    with the weekly series: service {service:.2f} s, views {t2 - t1:.3f} s, chart {t3 - t2:.2f} s "
                f"({len(png) // 1024} KiB), in all {charted:.2f} s = {charted / stream:.2f}x stream\n"
                f"    tierbot report --chart (subprocess, from interpreter start): {cli:.2f} s = "
                f"{cli / stream:.2f}x stream [{'ok' if cli <= CLI_TARGET else 'SLOW'}: <= {CLI_TARGET:.0f} s]"
            )  # fmt: skip
            assert len(message["blocks"]) <= 50 and table and io.BytesIO(png).read(4) == b"\x89PNG"
    return ok


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load {one:.1f}/{five:.1f} on {os.cpu_count()} cores"


def tickets_in(db: Database) -> int:
    with db.engine.connect() as conn:
        return int(conn.scalar(text("SELECT COUNT(*) FROM tickets")) or 0)


def postgres(url: str, reuse: bool, tickets: int) -> tuple[Database, bool]:
    """The bench's own PostgreSQL database, emptied unless --reuse finds the data already there."""
    test_url = os.environ.get("TEST_DATABASE_URL")
    if test_url and make_url(test_url).database == make_url(url).database:
        sys.exit(f"refusing {url.split('@')[-1]}: it is the test suite's database; create one for the bench")
    db = Database(url)
    if reuse:
        db.upgrade()
        if tickets_in(db) == tickets:
            return db, False
    with db.engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    db.upgrade()
    return db, True


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--open-share", type=float, default=0.03)
    parser.add_argument("--sqlite-only", action="store_true")
    parser.add_argument("--postgresql-only", action="store_true")
    parser.add_argument(
        "--sqlite-file", type=Path, help="keep the SQLite database here; reuse it if it exists"
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL"),
        help="PostgreSQL database of the bench's own (default: BENCH_DATABASE_URL)",
    )
    parser.add_argument(
        "--reuse", action="store_true", help="keep PostgreSQL's data when it has --tickets tickets"
    )
    args = parser.parse_args()
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        path = args.sqlite_file or Path(tmp) / "bench.db"
        fresh = not path.exists()
        if not args.postgresql_only:
            db = Database(f"sqlite:///{path}")
            db.upgrade()
            ok &= bench("SQLite", db, args, fresh)
            db.dispose()
    if args.database_url and not args.sqlite_only:
        db, fresh = postgres(args.database_url, args.reuse, args.tickets)
        ok &= bench("PostgreSQL", db, args, fresh)
        db.dispose()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
