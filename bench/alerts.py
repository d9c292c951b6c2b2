"""Benchmark: the alert ladder's scheduler tick (issue 11).

    .venv/bin/python -m bench.alerts [--open 30000] [--due 1000] [--runs 50]
                                     [--database-url URL | BENCH_DATABASE_URL=URL]

1. 30,000 open tickets, nothing due: one `sla-alerts` tick (target <= 20 ms). With `alert_due` a tick is
   two primary-key reads and one indexed range query, whatever the number of open tickets.
2. 1,000 steps due at once: the tick's own work, Slack excluded (target <= 2 s): the service recording
   the steps and computing their next due times, rendering, claiming 1,000 ledger rows, and recording
   each as sent (the sender answers at once).
Also printed: the one-off rebuild of every open ticket's next-due times after tickets change.

SQLite in a temporary file; PostgreSQL too with --database-url or BENCH_DATABASE_URL, a database of the
bench's own (schema `bench_alerts` in it, dropped and rebuilt; the test suite's database is refused).
Each figure is also given as a ratio to a baseline measured in the same run (the machine is shared):
one `SELECT 1` round trip, the floor under each of a tick's three queries; the load average is printed
next to the figures.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

from sqlalchemy import insert, text, update
from sqlalchemy.engine import make_url

from bot.alerts import service
from bot.config import Settings
from bot.jobs.alerts import run_sla_alerts
from bot.policy.model import Policy, load_policy
from bot.schedule.context import JobContext
from bot.schedule.ledger import DeliveryKey
from bot.schedule.poster import Attempt, LedgerPoster, Payload, SlackSender
from bot.services import Services
from storage.db import Database
from storage.models import Account
from storage.models.tickets import Ticket
from storage.versions import TICKETS, bump_version

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)  # a Tuesday, 10:00 in New York: business hours
LATE_AFTER, GRACE = timedelta(minutes=2), timedelta(hours=6)
PG_SCHEMA = "bench_alerts"
TIERS = (("enterprise", 32000), ("professional", 9000), ("starter", 1200))
SEVERITIES = ("sev1", "sev2", "sev3", "sev4")


class InstantSender:
    """Slack that answers at once: what is measured is tierbot's own work. `first` is when the first
    post was handed over (everything before it is deciding, rendering and claiming)."""

    def __init__(self) -> None:
        self.sent = 0
        self.first: float | None = None
        self.first_cpu: float | None = None

    def send(self, key: DeliveryKey, data: Payload) -> Attempt:
        if self.first is None:
            self.first, self.first_cpu = time.perf_counter(), time.process_time()
        self.sent += 1
        return Attempt(True, channel=str(data.get("channel")), ts=f"1700000000.{self.sent:06d}")

    def find_posted(self, key: DeliveryKey, data: Payload, since: datetime) -> str | None:
        return None


def seed(db: Database, open_tickets: int) -> None:
    """Accounts of every tier and open tickets created in the last five minutes (nothing due yet)."""
    accounts = max(1, open_tickets // 10)
    with db.session() as session:
        conn = session.connection()
        conn.execute(
            insert(Account),
            [
                {
                    "name": f"Account {i}",
                    "name_key": f"account {i}",
                    "acv": Decimal(TIERS[i % 3][1]),
                    "usage_criticality": "medium",
                    "strategic": False,
                    "tier": TIERS[i % 3][0],
                    "slack_channel": f"CACC{i}" if i % 3 == 0 else None,
                    "owner": "owner@example.com",
                    "created_at": NOW,
                    "updated_at": NOW,
                }
                for i in range(accounts)
            ],
        )
        conn.execute(insert(Ticket), [_ticket(f"T-{i:07d}", i, NOW - timedelta(seconds=i % 300)) for i in range(open_tickets)])  # fmt: skip
        bump_version(session, TICKETS)


def _ticket(ticket_id: str, i: int, created: datetime, severity: str | None = None) -> dict[str, Any]:
    return {
        "id": ticket_id,
        "account_id": 1 + (i % max(1, i // 10 + 1)) if severity else 1 + i // 10,
        "severity": severity or SEVERITIES[i % 4],
        "status": "open",
        "subject": f"Subject {i}",
        "assignee": f"agent{i % 40}@example.com",
        "created_at": created,
        "sla_tier": "enterprise",
        "handle_minutes": 0,
        "agent_replies": 0,
        "updated_at": created,
    }


def add_due(db: Database, policy: Policy, count: int) -> None:
    """`count` Enterprise sev1 tickets whose -15m step fell a minute ago (30 m target, created 16 m ago),
    picked up the way a sync picks up changed tickets."""
    ids = [f"D-{i:06d}" for i in range(count)]
    with db.session() as session:
        rows = [_ticket(t, 0, NOW - timedelta(minutes=16), "sev1") | {"account_id": 1 + 3 * (i % 100)} for i, t in enumerate(ids)]  # fmt: skip
        session.execute(insert(Ticket), rows)
        service.refresh_due(session, policy, NOW, ids, late_after=LATE_AFTER, grace=GRACE)


def measure(url: str, args: argparse.Namespace) -> None:
    policy = load_policy()
    db = Database(url)
    db.upgrade()
    with db.engine.connect() as conn:
        trips = []
        for _ in range(args.runs):
            start = time.perf_counter()
            conn.execute(text("SELECT 1")).scalar()
            trips.append((time.perf_counter() - start) * 1000)
    base = statistics.median(trips)
    print(f"  baseline: SELECT 1 round trip, median of {args.runs}: {base:.3f} ms ({load()})")
    start = time.perf_counter()
    seed(db, args.open)
    print(f"  seeded {args.open:,} open tickets in {time.perf_counter() - start:.1f} s")

    with db.session() as session:
        start, cpu_start = time.perf_counter(), time.process_time()
        rebuilt = service.sync_due(session, policy, NOW, late_after=LATE_AFTER, grace=GRACE)
        print(
            f"  first run (or policy change): next-due times of all {rebuilt:,} open tickets in "
            f"{time.perf_counter() - start:.2f} s wall, {time.process_time() - cpu_start:.2f} s CPU"
        )
    with db.session() as session:  # a sync that changed 100 tickets
        changed = [f"T-{i:07d}" for i in range(0, args.open, max(1, args.open // 100))][:100]
        session.execute(update(Ticket).where(Ticket.id.in_(changed)).values(status="pending", updated_at=NOW))
        bump_version(session, TICKETS)
    with db.session() as session:
        start, cpu_start = time.perf_counter(), time.process_time()
        rebuilt = service.sync_due(session, policy, NOW, late_after=LATE_AFTER, grace=GRACE)
        print(
            f"  after a sync that changed {len(changed)} tickets: {rebuilt:,} recomputed in "
            f"{time.perf_counter() - start:.2f} s wall, {time.process_time() - cpu_start:.2f} s CPU"
        )

    idle: list[float] = []
    for _ in range(args.runs):
        with db.session() as session:
            start = time.perf_counter()
            tick = service.due_steps(session, policy, NOW, late_after=LATE_AFTER, grace=GRACE)
            idle.append((time.perf_counter() - start) * 1000)
            assert tick.posts == [] and tick.rebuilt == 0, "nothing should be due"
    idle.sort()
    median = statistics.median(idle)
    print(
        f"  idle tick, {args.open:,} open tickets, nothing due: median {median:.2f} ms "
        f"({median / base:.0f}x SELECT 1), p95 {idle[int(len(idle) * 0.95) - 1]:.2f} ms "
        f"[{'ok' if median <= 20 else 'SLOW'}: target <= 20 ms] ({load()})"
    )

    add_due(db, policy, args.due)
    settings = Settings(_env_file=None, database_url=url)  # no Slack token: no users.lookupByEmail
    services = Services(settings=settings, db=db, policy=policy, clock=lambda: NOW)
    sender = InstantSender()
    poster = LedgerPoster(db, services.clock, cast(SlackSender, sender), "bench")
    ctx = JobContext(services, poster, NOW)
    start = time.perf_counter()
    cpu_start = time.process_time()
    run_sla_alerts(ctx)
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    sent = sum(1 for o in ctx.outcomes if o.status == "sent")
    decided = (sender.first or start) - start
    decided_cpu = (sender.first_cpu or cpu_start) - cpu_start
    print(
        f"  {args.due:,} steps due at once (Slack answering instantly): {wall:.2f} s wall "
        f"({wall * 1000 / base:,.0f}x SELECT 1) [{'ok' if wall <= 2 else 'SLOW'}: target <= 2 s] ({load()}), "
        f"{cpu:.2f} s CPU in all.\n    Finding, recording, rendering and claiming all {args.due:,} in one "
        f"transaction: {decided:.2f} s wall, {decided_cpu:.2f} s CPU; then recording each of the {sent:,} "
        f"posts as sent (one autocommit ledger write per post, between Slack calls): {wall - decided:.2f} s wall, "
        f"{cpu - decided_cpu:.2f} s CPU"
    )
    assert sent == args.due, ctx.notes[:3]
    db.dispose()


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load {one:.1f}/{five:.1f} on {os.cpu_count()} cores"


def _pg_url(url: str) -> str:
    parsed = make_url(url)
    return parsed.update_query_dict({"options": f"-csearch_path={PG_SCHEMA}"}).render_as_string(hide_password=False)  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--open", type=int, default=30_000)
    parser.add_argument("--due", type=int, default=1_000)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL"),
        help="PostgreSQL database of the bench's own (default: BENCH_DATABASE_URL)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        print(f"SQLite ({load()})")
        measure(f"sqlite:///{Path(tmp) / 'alerts.db'}", args)
    pg = args.database_url
    if pg:
        test_url = os.environ.get("TEST_DATABASE_URL")
        if test_url and make_url(test_url).database == make_url(pg).database:
            sys.exit(
                f"refusing {pg.split('@')[-1]}: it is the test suite's database; create one for the bench"
            )
        print(f"PostgreSQL: {pg.split('@')[-1]}, schema {PG_SCHEMA} ({load()})")
        admin = Database(pg)
        with admin.engine.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {PG_SCHEMA} CASCADE"))
            conn.execute(text(f"CREATE SCHEMA {PG_SCHEMA}"))
        admin.dispose()
        measure(_pg_url(pg), args)


if __name__ == "__main__":
    main()
