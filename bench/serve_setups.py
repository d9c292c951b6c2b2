"""/tier throughput of tierbot under each serving set-up, measured in interleaved rounds.

    .venv/bin/python -m bench.serve_setups [--accounts 20000] [--seconds 10] [--rounds 3]

The same app (`bot.slack.wsgi:app()`, repeated query mix, pre-signed requests from `wrk` with 8
connections, as in bench/tier_http.py) under gunicorn with 2 workers and:
- sync workers (the baseline of bench/tier_http.py's table),
- gthread, 4 threads each (what `tierbot serve` used before),
- bot.slack.worker.WaitressWorker, 4 threads each (what `tierbot serve` uses now).
All three run side by side; each round measures them one after the other, so drift in the speed of
this shared machine hits them alike: read the per-round ratios.
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.tier_http import SECRET, free_port, make_queries, run_wrk, start_gunicorn, wrk_script

SETUPS = {
    "sync, 2 workers": ("sync", 1),
    "gthread, 2 x 4 (before)": ("gthread", 4),
    "waitress worker, 2 x 4 (now)": ("bot.slack.worker.WaitressWorker", 4),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--accounts", type=int, default=20_000)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=8)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("bench needs wrk: apt-get install wrk")

    from bench.import_accounts import generate_accounts_csv

    tmp = Path(tempfile.mkdtemp(prefix="tierbot-setups-"))
    csv_path = generate_accounts_csv(tmp / "accounts.csv", args.accounts, seed=1)
    env = os.environ | {
        "DATABASE_URL": f"sqlite:///{tmp / 'bench.db'}",
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_BOT_TOKEN": "xoxb-bench",
        "SLACK_API_URL": "http://127.0.0.1:9/api/",
        "LOG_LEVEL": "WARNING",
    }
    tierbot = str(Path(sys.executable).with_name("tierbot"))
    subprocess.run([tierbot, "import", "accounts", str(csv_path)], env=env, check=True, capture_output=True)
    with csv_path.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    names, ids = [r["name"] for r in rows], [r["external_id"] for r in rows if r["external_id"]]
    queries = make_queries(names, ids, 3000)
    script = tmp / "tier.lua"

    procs: dict[str, tuple[int, subprocess.Popen[bytes]]] = {}
    rounds: list[dict[str, dict[str, float]]] = []
    try:
        for label, (worker_class, threads) in SETUPS.items():
            port = free_port()
            procs[label] = (port, start_gunicorn("bot.slack.wsgi:app()", port, env, 2, threads, worker_class))
        wrk_script(script, queries)
        for port, _proc in procs.values():
            run_wrk(port, script, 3, args.connections)  # warm every worker's caches
        for _ in range(args.rounds):
            wrk_script(script, queries)  # signed again: signatures expire after five minutes
            rounds.append(
                {
                    label: run_wrk(port, script, args.seconds, args.connections)
                    for label, (port, _) in procs.items()
                }
            )
    finally:
        for _port, proc in procs.values():
            proc.send_signal(signal.SIGTERM)
        for _port, proc in procs.values():
            proc.wait(timeout=60)
    shutil.rmtree(tmp, ignore_errors=True)

    base = next(iter(SETUPS))
    print(
        f"\n/tier over signed HTTP, {args.accounts:,} accounts, repeated mix, wrk {args.connections} "
        f"connections, {args.rounds} interleaved rounds of {args.seconds} s"
    )
    print(
        f"{'set-up':<30}{'req/s':>8}{'p50 ms':>8}{'p99 ms':>8}{'non-2xx':>9}   req/s by round (ratio to {base})"
    )
    for label in SETUPS:

        def med(key: str, label: str = label) -> float:
            return statistics.median(rd[label][key] for rd in rounds)

        per_round = " ".join(
            f"{rd[label]['rps']:.0f} ({rd[label]['rps'] / rd[base]['rps']:.2f})" for rd in rounds
        )
        errors = sum(rd[label]["errors"] for rd in rounds)
        print(
            f"{label:<30}{med('rps'):>8.0f}{med('p50'):>8.2f}{max(rd[label]['p99'] for rd in rounds):>8.2f}"
            f"{errors:>9.0f}   {per_round}"
        )
    print("(req/s and p50: medians over rounds; p99: the worst round)")


if __name__ == "__main__":
    main()
