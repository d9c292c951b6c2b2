"""/tier over signed HTTP against a bare Bolt app, same server settings, same run.

    .venv/bin/python -m bench.tier_http [--accounts 100000] [--seconds 10] [--connections 8]

Needs `wrk` (apt-get install wrk) for load generation; it is light enough not to starve the server
on a 2-core machine. Prints req/s, p50/p99, the ratio to the bare app, the in-process lookup time,
import time and peak memory.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

import httpx
from slack_sdk.signature import SignatureVerifier

SECRET = "bench-signing-secret"
ROOT = Path(__file__).resolve().parent.parent
LUA_CHUNK = 5000
WRK_THREADS = 2


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def make_queries(names: list[str], ids: list[str], n: int, seed: int = 7) -> list[str]:
    """A third exact (names and ids), a third with typos or shuffled words, a third matching nothing."""
    rnd = random.Random(seed)
    out = []
    for i in range(n):
        kind = i % 3
        if kind == 0:
            out.append(rnd.choice(names) if rnd.random() < 0.5 else rnd.choice(ids))
        elif kind == 1:
            words = rnd.choice(names).split()
            rnd.shuffle(words)
            q = " ".join(words)
            pos = rnd.randrange(len(q))
            out.append(q[:pos] + q[pos + 1 :] if len(q) > 4 else q)
        else:
            out.append("".join(rnd.choice("qxzjvkw") for _ in range(rnd.randint(6, 12))))
    return out


def wrk_script(path: Path, queries: list[str]) -> None:
    verifier = SignatureVerifier(SECRET)
    ts = str(int(time.time()))
    lines = ["local reqs = {}"]
    for i, q in enumerate(queries):
        if i % LUA_CHUNK == 0:
            # LuaJIT allows 65,536 constants per function: the requests are defined in chunks.
            if i:
                lines += ["end", "define()"]
            lines.append("define = function()")
        body = urlencode(
            {
                "command": "/tier",
                "text": q,
                "user_id": "UBENCH",
                "channel_id": "CBENCH",
                "team_id": "T1",
                "response_url": "http://127.0.0.1:9/r",
                "trigger_id": f"t{i}",
                "api_app_id": "A1",
            }
        )
        sig = verifier.generate_signature(timestamp=ts, body=body)
        headers = (
            f'["Content-Type"]="application/x-www-form-urlencoded", '
            f'["X-Slack-Request-Timestamp"]="{ts}", ["X-Slack-Signature"]="{sig}"'
        )
        lines.append(
            f'reqs[{i + 1}] = wrk.format("POST", "/slack/events", {{{headers}}}, {json.dumps(body)})'
        )
    lines += [
        "end",
        "define()",
        "local n = #reqs",
        "local i = 0",
        # Each wrk thread runs its own copy of this script: thread k takes requests k, k + T, k + 2T...
        # so that no two threads send the same query (T = WRK_THREADS).
        "local threads = 0",
        "function setup(thread) thread:set('id', threads); threads = threads + 1 end",
        f"request = function() i = i + 1; return reqs[((i * {WRK_THREADS} + id) % n) + 1] end",
    ]
    path.write_text("\n".join(lines))


def start_gunicorn(
    target: str, port: int, env: dict[str, str], workers: int, threads: int, worker_class: str | None = None
) -> subprocess.Popen[bytes]:
    cmd = [
        str(Path(sys.executable).with_name("gunicorn")),
        target,
        "-b",
        f"127.0.0.1:{port}",
        "-w",
        str(workers),
        "--threads",
        str(threads),
        "-k",
        worker_class or ("gthread" if threads > 1 else "sync"),
        "--log-level",
        "warning",
    ]
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT)
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            httpx.post(f"http://127.0.0.1:{port}/slack/events", content=b"", timeout=2)
            return proc
        except httpx.HTTPError:
            time.sleep(0.3)
    proc.kill()
    raise RuntimeError(f"{target} did not start")


def worker_peak_rss_mb(master: subprocess.Popen[bytes]) -> float:
    peak = 0
    try:
        children = Path(f"/proc/{master.pid}/task/{master.pid}/children").read_text().split()
    except OSError:
        return 0.0
    for pid in children:
        status = Path(f"/proc/{pid}/status").read_text()
        m = re.search(r"VmHWM:\s+(\d+) kB", status)
        if m:
            peak = max(peak, int(m[1]))
    return peak / 1024


def run_wrk(port: int, script: Path, seconds: int, connections: int) -> dict[str, float]:
    out = subprocess.run(
        [
            "wrk",
            f"-t{WRK_THREADS}",
            f"-c{connections}",
            f"-d{seconds}s",
            "--latency",
            "-s",
            str(script),
            f"http://127.0.0.1:{port}",
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout

    def latency(label: str) -> float:
        m = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)", out, re.M)
        assert m, out
        return float(m[1]) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[m[2]]

    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    assert rps, out
    return {
        "rps": float(rps[1]),
        "p50": latency("50"),
        "p99": latency("99"),
        "errors": float(non2xx[1]) if non2xx else 0.0,
    }


def in_process_lookup(db_url: str, queries: list[str]) -> tuple[float, float, float]:
    os.environ["DATABASE_URL"] = db_url
    from bot.config import get_settings
    from bot.services import Services
    from handlers.tier import answer

    get_settings.cache_clear()
    services = Services.from_settings(get_settings(), migrate=False)
    t0 = time.perf_counter()
    services.account_index()
    build = time.perf_counter() - t0
    times = []
    for q in queries:
        t = time.perf_counter()
        answer(services, q, "UBENCH")
        times.append((time.perf_counter() - t) * 1000)
    return build, statistics.mean(times), statistics.quantiles(times, n=100)[98]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument(
        "--worker-class",
        help="gunicorn worker class (default: sync, or gthread with --threads > 1); "
        "`tierbot serve` uses bot.slack.worker.WaitressWorker",
    )
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("bench needs wrk: apt-get install wrk")

    from bench.import_accounts import generate_accounts_csv

    tmp = Path(tempfile.mkdtemp(prefix="tierbot-bench-"))
    csv_path = tmp / "accounts.csv"
    generate_accounts_csv(csv_path, args.accounts, seed=1)
    db_url = f"sqlite:///{tmp / 'bench.db'}"
    env = os.environ | {
        "DATABASE_URL": db_url,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_BOT_TOKEN": "xoxb-bench",
        "SLACK_API_URL": "http://127.0.0.1:9/api/",
    }
    tierbot = str(Path(sys.executable).with_name("tierbot"))
    subprocess.run([tierbot, "db", "upgrade"], env=env, check=True, capture_output=True)
    t0 = time.perf_counter()
    subprocess.run([tierbot, "import", "accounts", str(csv_path)], env=env, check=True, capture_output=True)
    import_s = time.perf_counter() - t0
    import_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024

    import csv

    with csv_path.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    names, ids = [r["name"] for r in rows], [r["external_id"] for r in rows if r["external_id"]]
    build_s, lookup_mean, lookup_p99 = in_process_lookup(db_url, make_queries(names, ids, 3000, seed=5))

    # Three servers side by side, measured in interleaved rounds so that drift in the machine's speed
    # hits all three alike; each ratio compares runs of the same round.
    # "repeated": 3,000 queries cycled, as agents look up the same hot accounts (answers are cached
    # per data version; warmed first so each worker has seen the mix). "distinct": every request a
    # query never asked before, so nothing is cached but the account index: the cold cost.
    servers = {
        "bare Bolt app": "bench.bare_app:app()",
        "tierbot repeated": "bot.slack.wsgi:app()",
        "tierbot distinct": "bot.slack.wsgi:app()",
    }
    procs: dict[str, tuple[int, subprocess.Popen[bytes]]] = {}
    try:
        for label, target in servers.items():
            port = free_port()
            procs[label] = (
                port,
                start_gunicorn(target, port, env, args.workers, args.threads, args.worker_class),
            )
        # Scripts are signed just before they run: Slack's signatures (and tierbot) accept five
        # minutes of clock skew, which a whole bench run can exceed.
        repeated = tmp / "repeated.lua"
        distinct = tmp / "distinct.lua"
        hot = make_queries(names, ids, 3000)
        per_round = args.seconds * 5000  # more than a round sends here, so no query repeats

        def sign(round_no: int) -> None:
            wrk_script(repeated, hot)
            wrk_script(distinct, make_queries(names, ids, per_round, seed=100 + round_no))

        sign(0)
        run_wrk(procs["bare Bolt app"][0], repeated, 2, args.connections)
        run_wrk(procs["tierbot repeated"][0], repeated, 8, args.connections)
        run_wrk(procs["tierbot distinct"][0], distinct, 2, args.connections)  # pools, token cache
        scripts = {"bare Bolt app": repeated, "tierbot repeated": repeated, "tierbot distinct": distinct}
        rounds: list[dict[str, dict[str, float]]] = []
        for r in range(1, args.rounds + 1):
            sign(r)
            rounds.append(
                {
                    label: run_wrk(procs[label][0], scripts[label], args.seconds, args.connections)
                    for label in servers
                }
            )
        rss = {label: worker_peak_rss_mb(proc) for label, (_port, proc) in procs.items()}
    finally:
        for _port, proc in procs.values():
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=30)

    print(
        f"\n/tier benchmark: {args.accounts:,} accounts, {args.connections} connections, "
        f"gunicorn {args.workers} workers x {args.threads} threads "
        f"({args.worker_class or 'default worker'}), {args.rounds} rounds of {args.seconds}s, "
        "query mix exact/fuzzy/none"
    )
    print(
        f"{'server':<18}{'req/s':>9}{'ratio':>7}{'p50 ms':>8}{'p99 ms':>8}{'non-2xx':>9}"
        f"{'worker RSS MB':>15}   ratio by round"
    )
    for label in servers:
        ratios = [rd[label]["rps"] / rd["bare Bolt app"]["rps"] for rd in rounds]

        def med(key: str, label: str = label) -> float:
            return statistics.median(rd[label][key] for rd in rounds)

        errors = sum(rd[label]["errors"] for rd in rounds)
        print(
            f"{label:<18}{med('rps'):>9.0f}{statistics.median(ratios):>7.2f}{med('p50'):>8.2f}"
            f"{max(rd[label]['p99'] for rd in rounds):>8.2f}{errors:>9.0f}{rss[label]:>15.0f}   "
            + " ".join(f"{x:.2f}" for x in ratios)
        )
    print("(req/s, p50 and ratio: medians over rounds; p99: the worst round)")
    problems = []
    if any(rd[label]["errors"] for rd in rounds for label in servers):
        problems.append("some requests got a non-2xx answer")
    if any(rd["tierbot distinct"]["rps"] * args.seconds > per_round for rd in rounds):
        problems.append("a distinct round sent more requests than it has queries, so some repeated")
    print("targets: ratio >= 0.80 of the bare app, p99 <= 25 ms, worker memory <= 200 MB")
    print(
        f"in-process /tier answer, fresh queries: mean {lookup_mean:.2f} ms, p99 {lookup_p99:.2f} ms "
        f"(target <= 5 ms); index build {build_s:.2f} s"
    )
    print(
        f"import {args.accounts:,} accounts: {import_s:.1f} s (target <= 10), peak RSS {import_rss:.0f} MiB "
        f"(target <= 200 MB)"
    )
    shutil.rmtree(tmp, ignore_errors=True)
    if problems:
        sys.exit("INVALID RUN: " + "; ".join(problems))


if __name__ == "__main__":
    main()
