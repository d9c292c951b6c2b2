"""Peak memory and time of `tierbot import accounts` on a 435,000-row, 50 MB CSV.

Each measurement runs in its own process (peak RSS is per process), on a fresh SQLite database, in
the same run so they share the machine's state:
- baseline: reading and parsing the same CSV with the csv module, keeping nothing (the floor any
  import pays);
- before (optional, --before-rev): the import as it was at that git revision, from `git archive`;
- current: the import in this tree (and, with --reimport, the same file imported a second time into
  the full table: its time, and the peak over both imports).
The ratio is each one's peak RSS and time over the baseline's.

    python -m bench.import_memory [--rows 435000] [--mb 50] [--before-rev REV]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.import_accounts import generate_accounts_csv

TARGET_MB = 250
ROOT = Path(__file__).resolve().parent.parent

_CHILD = r"""
import csv, json, sys, time
from datetime import UTC, datetime
mode, csv_path, db_path = sys.argv[1:4]
start = time.perf_counter()
if mode == "baseline":
    with open(csv_path, encoding="utf-8-sig", newline="") as fh:
        rows = sum(1 for _ in csv.reader(fh)) - 1
    ok = True
else:
    from bot.accounts.importer import import_accounts
    from bot.policy.model import load_policy
    from storage.db import Database
    db = Database(f"sqlite:///{db_path}")
    db.upgrade()
    start = time.perf_counter()
    report = import_accounts(db, load_policy(), csv_path, now=datetime.now(UTC))
    rows, ok = report.new, report.ok and report.written
    if mode == "reimport":  # the same file again: every row matched against a full table
        start = time.perf_counter()
        report = import_accounts(db, load_policy(), csv_path, now=datetime.now(UTC))
        rows, ok = report.unchanged, report.ok
seconds = time.perf_counter() - start
# VmHWM, not ru_maxrss: the latter survives exec, so a child would report its parent's peak.
with open("/proc/self/status") as fh:
    peak = next(int(line.split()[1]) for line in fh if line.startswith("VmHWM:")) / 1024
print(json.dumps({"seconds": seconds, "peak_mb": peak, "rows": rows, "ok": ok}))
"""


def make_file(path: Path, rows: int, mb: float) -> Path:
    """The bench's accounts, padded with a column importers ignore (CRM exports carry many) so that
    the file has the size of the one the issue measured: 435,000 rows, 50 MB."""
    raw = generate_accounts_csv(path.with_suffix(".raw"), rows)
    pad = max(0, round((mb * 1e6 - raw.stat().st_size) / rows) - 1)
    with raw.open(encoding="utf-8") as src, path.open("w", encoding="utf-8") as out:
        out.write(next(src).rstrip("\n") + ",crm_notes\n")
        for i, line in enumerate(src):
            out.write(f"{line.rstrip(chr(10))},{(f'note {i} ' * 8)[:pad]}\n")
    raw.unlink()
    return path


def measure(mode: str, csv_path: Path, workdir: Path, pythonpath: Path) -> dict[str, float]:
    db_path = workdir / f"{mode}.db"
    env = {**os.environ, "PYTHONPATH": str(pythonpath)}
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            _CHILD,
            mode if mode in ("baseline", "reimport") else "import",
            str(csv_path),
            str(db_path),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=workdir,
    )
    if done.returncode:
        raise SystemExit(f"{mode} failed:\n{done.stderr}")
    out = done.stdout
    db_path.unlink(missing_ok=True)
    result: dict[str, float] = json.loads(out.strip().splitlines()[-1])
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=435_000)
    parser.add_argument("--mb", type=float, default=50)
    parser.add_argument("--before-rev", default="", help="also measure the import at this git revision")
    parser.add_argument("--reimport", action="store_true", help="also time importing the file a second time")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        csv_path = make_file(workdir / "accounts.csv", args.rows, args.mb)
        print(f"{args.rows:,} rows, {csv_path.stat().st_size / 1e6:.1f} MB")
        runs = [("baseline", ROOT)]
        if args.before_rev:
            before = workdir / "before"
            before.mkdir()
            archive = subprocess.run(
                ["git", "archive", args.before_rev, "bot", "storage"],
                check=True,
                capture_output=True,
                cwd=ROOT,
            ).stdout
            subprocess.run(["tar", "-x", "-C", str(before)], input=archive, check=True)
            runs.append((f"before ({args.before_rev})", before))
        runs.append(("current", ROOT))
        if args.reimport:
            runs.append(("reimport (current)", ROOT))
        results = {}
        for label, tree in runs:
            results[label] = measure(label.split()[0], csv_path, workdir, tree)
        base = results["baseline"]
        for label, r in results.items():
            print(
                f"{label[:24]:<24} {r['seconds']:7.1f} s  peak RSS {r['peak_mb']:6.0f} MiB  "
                f"(x{r['peak_mb'] / base['peak_mb']:.1f} RSS, x{r['seconds'] / base['seconds']:.1f} time "
                f"of the baseline)  rows {int(r['rows']):,} ok={bool(r['ok'])}"
            )
    current = results["current"]
    met = current["peak_mb"] <= TARGET_MB and bool(current["ok"])
    print(f"target peak RSS ≤ {TARGET_MB} MB: {'met' if met else 'MISSED'}")
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
