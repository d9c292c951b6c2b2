"""Benchmark: decision lists and /tier lookups with 100,000 accounts and 10,000 decisions, in process.

    .venv/bin/python -m bench.decisions [--accounts N] [--decisions N] [--calls N] [--database-url URL]

Targets: `/decision list` (and show, App Home) p99 ≤ 25 ms; a `/tier` lookup ≤ 5 ms per query;
`decisions_touching` ≈ 1 ms. The HTTP-level benchmark is `bench.tier_http`. SQLite runs without
table statistics on purpose (nothing runs ANALYZE there in production); PostgreSQL is analysed after the
bulk load, as autovacuum would.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select

from bot.config import Settings
from bot.decisions.briefs import decisions_touching
from bot.policy.model import load_policy
from bot.services import Services
from storage.db import Database
from storage.models import Account
from storage.models.decisions import Decision, DecisionAccount, DecisionEvent, DecisionTier, ReviewTrigger
from storage.versions import DECISIONS, bump_version

LIST_P99_MS = 25.0
LOOKUP_MS = 5.0
TOUCHING_MS = 1.0


def load_accounts(db: Database, n: int, workdir: Path) -> None:
    try:
        from bench.import_accounts import generate_accounts_csv
        from bot.accounts.importer import import_accounts
    except ImportError:  # the importer is not there: insert plain rows instead
        generate_accounts_csv = None  # type: ignore[assignment]
    start = time.perf_counter()
    if generate_accounts_csv is not None:
        csv_path = generate_accounts_csv(workdir / "accounts.csv", n)
        report = import_accounts(db, load_policy(), csv_path, now=datetime.now(UTC))
        if not report.ok:
            raise SystemExit(f"account import failed: {report.errors[:3]}")
    else:
        rng = random.Random(3)
        tiers = [t.key for t in load_policy().tiers]
        rows = [
            {
                "name": f"Bench Account {i}",
                "name_key": f"bench account {i}",
                "acv": rng.randint(0, 90000),
                "usage_criticality": "medium",
                "strategic": False,
                "tier": rng.choice(tiers),
            }
            for i in range(n)
        ]
        with db.session() as session:
            session.execute(insert(Account), rows)
    print(f"{n:,} accounts loaded in {time.perf_counter() - start:.1f} s")


def seed_decisions(db: Database, n: int, seed: int = 5) -> None:
    rng = random.Random(seed)
    tiers = [t.key for t in load_policy().tiers]
    now = datetime.now(UTC)
    today = now.date()
    with db.session() as session:
        account_ids = list(session.scalars(select(Account.id)))
    start = time.perf_counter()
    decisions, links, tier_rows, events, triggers = [], [], [], [], []
    for i in range(1, n + 1):
        status = rng.choices(("open", "reviewed", "reversed", "superseded"), weights=(70, 15, 10, 5))[0]
        created = now - timedelta(days=rng.randint(0, 400))
        decisions.append(
            {
                "id": i,
                "title": f"Decision {i}: tier change for segment {rng.randint(1, 500)}",
                "objective": "o" * rng.randint(50, 3000),
                "scope": "s" * 200,
                "horizon": today + timedelta(days=200),
                "owner": f"U{rng.randint(1, 300):05d}",
                "status": status,
                "in_force": status in ("open", "reviewed"),
                "options": [
                    {"key": k, "title": f"Option {k}", "constraints": "", "tradeoffs": ""} for k in "ABC"
                ],
                "evidence": "e" * rng.randint(50, 3000),
                "assumptions": "",
                "open_questions": "",
                "success_metrics": [],
                "key_assumptions": "",
                "scenario_ranges": "",
                "tradeoff_summary": "",
                "risks": "",
                "criteria": "",
                "chosen_option": "B",
                "rationale": "r" * 500,
                "review_date": today + timedelta(days=rng.randint(-30, 120)),
                "cadence_initial": "",
                "cadence_operating": "",
                "cadence_post": "",
                "reversal_signal": "x" * 300,
                "stop_conditions": "",
                "last_outcome": "continue" if status == "reviewed" else None,
                "created_by": "UBENCH",
                "created_at": created,
                "updated_at": created,
                "source_channel": "CBENCH",
            }
        )
        for aid in rng.sample(account_ids, rng.randint(0, 3)):
            links.append({"decision_id": i, "account_id": aid})
        for tier in rng.sample(tiers, rng.randint(1, 2)):
            tier_rows.append({"decision_id": i, "tier": tier})
        events.append({"decision_id": i, "kind": "created", "actor": "UBENCH", "at": created, "detail": {}})
        triggers.append(
            {
                "decision_id": i,
                "metric": "resolution_time",
                "scope_tier": rng.choice(tiers),
                "scope_account_id": None,
                "comparison": ">",
                "threshold": 8.0,
                "window_days": 30,
                "fired": False,
            }
        )
    with db.session() as session:
        for model, rows in (
            (Decision, decisions),
            (DecisionAccount, links),
            (DecisionTier, tier_rows),
            (DecisionEvent, events),
            (ReviewTrigger, triggers),
        ):
            session.execute(insert(model), rows)
        bump_version(session, DECISIONS)
    print(f"{n:,} decisions stored in {time.perf_counter() - start:.1f} s ({len(links):,} account links)")


def measure(
    label: str, fn: Callable[[Any], object], args: list[Any], target: float | None, p99: bool
) -> None:
    fn(args[0])  # warm-up (caches, prepared statements)
    times = []
    for arg in args:
        t = time.perf_counter()
        fn(arg)
        times.append((time.perf_counter() - t) * 1000)
    mean, q99 = statistics.mean(times), statistics.quantiles(times, n=100)[98]
    checked = q99 if p99 else mean
    verdict = "" if target is None else ("  OK" if checked <= target else f"  OVER TARGET ({target:g} ms)")
    print(f"{label:<44} mean {mean:7.2f} ms   p99 {q99:7.2f} ms   ({len(times)} calls){verdict}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--decisions", type=int, default=10_000)
    parser.add_argument("--calls", type=int, default=500)
    parser.add_argument("--database-url", help="an empty database to use instead of a temporary SQLite file")
    args = parser.parse_args(argv)

    from bot.decisions import service
    from bot.decisions.snapshot import load_snapshot
    from bot.text import clean_input
    from bot.views.decision_record import listing_message, show_message
    from bot.views.home import DUE_SHOWN, OPEN_SHOWN, home_view
    from handlers.tier import answer as tier_answer  # the tier slice moves this to its service

    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/bench.db"
        db = Database(url)
        db.upgrade()
        load_accounts(db, args.accounts, Path(tmp))
        seed_decisions(db, args.decisions)
        if not db.is_sqlite:
            # A live PostgreSQL has statistics (autovacuum); a freshly bulk-loaded one does not yet.
            with db.engine.begin() as conn:
                conn.exec_driver_sql("ANALYZE")
        settings = Settings(_env_file=None, database_url=url)  # type: ignore[call-arg]
        services = Services(settings=settings, db=db, policy=load_policy())
        t = time.perf_counter()
        services.account_index()
        print(f"account index built in {time.perf_counter() - t:.1f} s")

        rng = random.Random(11)
        with db.session() as session:
            sample = session.execute(select(Account.id, Account.name, Account.tier).limit(50_000)).all()
        picks = [sample[rng.randrange(len(sample))] for _ in range(args.calls)]
        tiers = [t.key for t in services.policy.tiers]
        list_args = [
            rng.choice(["", "open", "due", "all", f"open {rng.choice(tiers)}", f"all {rng.choice(tiers)}"])
            for _ in range(args.calls)
        ]
        list_args += [f"all {p[1]}" for p in picks[: args.calls // 5]]  # by account (name lookup included)

        def touching(p: Any) -> object:
            with db.session() as session:
                return decisions_touching(session, p[0], p[2])

        # The card runs it inside the session it already has open: measure that, then with a session.
        card_session = db.sessions()

        def touching_in_session(p: Any) -> object:
            return decisions_touching(card_session, p[0], p[2])

        def typo(name: str) -> str:
            if len(name) < 6:
                return name
            i = rng.randrange(1, len(name) - 1)
            return name[:i] + name[i + 1 :]

        lookups = [p[1] if i % 3 else typo(p[1]) for i, p in enumerate(picks)]
        ids = [rng.randint(1, args.decisions) for _ in range(args.calls)]

        print(f"\n{args.accounts:,} accounts, {args.decisions:,} decisions, {db.engine.dialect.name}")
        measure(
            "decisions_touching (in the card's session)", touching_in_session, picks, TOUCHING_MS, p99=False
        )
        card_session.close()
        measure("decisions_touching (own session)", touching, picks, None, p99=False)

        def today() -> date:
            return service.today(services.clock(), settings.default_timezone)

        # What the /decision list, /decision show and App Home listeners do, minus Slack's HTTP.
        def list_answer(text: str) -> object:
            day = today()
            found = service.list_records(
                db, services.policy, services.account_index(), clean_input(text, 300), day
            )
            return listing_message(found, day)

        def show_answer(decision_id: int) -> object:
            record = service.record(db, decision_id)
            return show_message(record, services.policy, today()) if record is not None else None

        def home(_: int) -> object:
            day = today()
            return home_view(service.home(db, day, due_limit=DUE_SHOWN, open_limit=OPEN_SHOWN), day)

        measure("/decision list rendering", list_answer, list_args, LIST_P99_MS, p99=True)
        measure("/decision show rendering", show_answer, ids, LIST_P99_MS, p99=True)
        measure("App Home rendering", home, list(range(args.calls // 5)), LIST_P99_MS, p99=True)

        def snapshot(i: int) -> object:
            with db.session() as session:
                return load_snapshot(session, i)

        measure("record snapshot (export input)", snapshot, ids, None, p99=True)
        measure(
            "/tier lookup (handlers.tier.answer)",
            lambda q: tier_answer(services, q, "UBENCH"),
            lookups,
            LOOKUP_MS,
            p99=False,
        )
        db.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
