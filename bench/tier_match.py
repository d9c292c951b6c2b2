"""The /tier matcher in-process: fresh queries over 100,000 accounts, this matcher against a baseline.

Each query is new to its index (the near-token memo starts empty, and no query repeats), so this is the
cold path the README's "/tier answer in-process, fresh queries" row measures, less the card read. The
baseline is another version of `bot/matching.py` (default: where this branch left main), loaded as a module
and run in the same process on the same entries and queries; the two are timed in interleaved rounds
so that drift in the machine's speed hits both alike.

    python -m bench.tier_match [--accounts 100000] [--queries 3000] [--baseline-rev REV]
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType
from typing import Any

from bench.import_accounts import generate_accounts_csv
from bench.tier_http import make_queries

ROUNDS = 3
COMMON = ("corp", "inc", "group", "holdings", "data", "systems", "cloud")  # words agents may type alone


def load_baseline(rev: str) -> ModuleType:
    source = subprocess.run(
        ["git", "show", f"{rev}:bot/matching.py"], check=True, capture_output=True, text=True
    ).stdout
    path = Path(tempfile.mkdtemp()) / "matching_baseline.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("matching_baseline", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve their annotations through sys.modules
    spec.loader.exec_module(module)
    return module


def entries(module: ModuleType, rows: list[dict[str, str]]) -> list[Any]:
    return [
        module.IndexEntry(i, r["name"], r["external_id"] or None, r["domain"] or None)
        for i, r in enumerate(rows, start=1)
    ]


def time_queries(module: ModuleType, rows: list[dict[str, str]], queries: list[str]) -> list[float]:
    index = module.AccountIndex.build(entries(module, rows))  # fresh: nothing memoised
    out = []
    for q in queries:
        start = time.perf_counter()
        index.match(q)
        out.append((time.perf_counter() - start) * 1000)
    return out


def summary(ms: list[float]) -> str:
    ordered = sorted(ms)
    p99 = ordered[int(len(ordered) * 0.99) - 1]
    return f"mean {statistics.fmean(ms):.3f} ms, p50 {statistics.median(ms):.3f} ms, p99 {p99:.3f} ms"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=3000)
    parser.add_argument("--baseline-rev", default="")
    args = parser.parse_args(argv)
    if not args.baseline_rev:
        args.baseline_rev = subprocess.run(
            ["git", "merge-base", "HEAD", "main"], check=True, capture_output=True, text=True
        ).stdout.strip()[:12]
    import bot.matching as current

    baseline = load_baseline(args.baseline_rev)
    with tempfile.TemporaryDirectory() as tmp:
        path = generate_accounts_csv(Path(tmp) / "accounts.csv", args.accounts)
        with path.open(encoding="utf-8", newline="") as fh:
            rows = list(csv.DictReader(fh))
    names = [r["name"] for r in rows]
    ids = [r["external_id"] for r in rows if r["external_id"]]
    queries = list(dict.fromkeys(make_queries(names, ids, args.queries * 2)))[: args.queries - len(COMMON)]
    queries += COMMON
    results: dict[str, list[float]] = {"baseline": [], "current": []}
    for round_no in range(ROUNDS):
        for label, module in (("baseline", baseline), ("current", current)):
            ms = time_queries(module, rows, queries)
            results[label] += ms
            print(f"round {round_no + 1} {label:<8} {summary(ms)}")
    base, cur = results["baseline"], results["current"]
    print(f"{len(queries):,} fresh queries over {args.accounts:,} accounts, {ROUNDS} rounds")
    print(f"baseline ({args.baseline_rev}): {summary(base)}")
    print(f"current:            {summary(cur)}")
    print(f"mean ratio current/baseline: {statistics.fmean(cur) / statistics.fmean(base):.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
