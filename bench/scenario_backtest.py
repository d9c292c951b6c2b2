"""The projection's backtest (`tierbot scenario backtest`) on generated data or on the bundled sample.

    .venv/bin/python -m bench.scenario_backtest [--accounts 20000] [--tickets 200000] [--format table|json]
    .venv/bin/python -m bench.scenario_backtest --sample

Generated data come from `bench.scenarios.generate` (the 100k/1M bench's generator, smaller) with the
policy staffed to 85% utilisation (`bench.scenarios.staffed`). --sample imports bot/sample_data with the
default policy and backtests over every day the sample holds (it is 42 tickets: expect few cells).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from bench.scenarios import DAYS, NOW, generate, staffed
from bot.cli.scenario_tables import print_backtest
from bot.policy.model import load_policy
from bot.scenarios.service import BacktestResult, backtest_json, data_days, run_backtest
from storage.db import Database


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--accounts", type=int, default=20_000)
    parser.add_argument("--tickets", type=int, default=200_000)
    parser.add_argument("--sample", action="store_true", help="the bundled sample data instead")
    parser.add_argument("--format", default="table", choices=("table", "json"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite:///{Path(tmp) / 'backtest.db'}")
        db.upgrade()
        if args.sample:
            from bot.accounts.importer import import_accounts
            from bot.sample_data import ACCOUNTS_CSV, TICKETS_CSV
            from bot.tickets.importer import import_tickets

            policy = load_policy()
            import_accounts(db, policy, ACCOUNTS_CSV, dry_run=False, actor="bench", now=NOW)
            import_tickets(db, policy, TICKETS_CSV, dry_run=False, now=NOW)
            with db.engine.connect() as conn:
                newest = conn.exec_driver_sql("SELECT MAX(created_at) FROM tickets").scalar()
            # now: the day after the newest sample ticket, so the hold-back windows hold tickets
            now = NOW if newest is None else max(NOW, _aware(newest) + timedelta(days=1))
            with db.engine.connect() as conn:
                days = data_days(conn, now)
        else:
            generate(db, args.accounts, args.tickets)
            policy, now, days = staffed(load_policy(), db), NOW, DAYS
        t0 = time.perf_counter()
        with db.engine.connect() as conn:
            result = run_backtest(conn, policy, now, days)
        elapsed = time.perf_counter() - t0
        db.dispose()
    if not isinstance(result, BacktestResult):
        print(result.message)
        return 1
    if args.format == "json":
        print(json.dumps(backtest_json(result), indent=2))
    else:
        print_backtest(result)
        staffing = ", ".join(f"{t.key} {t.staffing.agents if t.staffing else 0}" for t in policy.tiers)
        print(f"agents: {staffing}; backtest took {elapsed:.1f} s")
    return 0


def _aware(value: object):  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


if __name__ == "__main__":
    sys.exit(main())
