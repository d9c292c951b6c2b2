"""Benchmark: import 100,000 accounts from CSV into a fresh SQLite file (target ≤ 10 s).

    .venv/bin/python -m bench.import_accounts [--rows N] [--seed S] [--reimport]

`generate_accounts_csv` is reusable by other benches that need a realistic account file.
"""

from __future__ import annotations

import argparse
import csv
import random
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bot.accounts.importer import ImportReport, import_accounts
from bot.policy.model import load_policy
from bot.text import normalize
from storage.db import Database

TARGET_SECONDS = 10.0


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


_FIRST = _words(
    "acme apex atlas aurora beacon birch blue bright cedar cobalt comet copper coral crest crystal delta "
    "ember evergreen falcon fern firefly forge frontier galaxy garnet glacier golden granite harbor hawk "
    "horizon indigo iron ivory jade juniper keystone kinetic lakeside lantern laurel legacy liberty lumen "
    "lunar magnet maple marble meadow meridian metro midland mosaic nimbus noble north nova oak oasis "
    "obsidian olympic omega onyx orbit orchid pacific panorama paragon peak pelican pine pioneer pixel "
    "polar prairie prism pulse quantum quarry radiant raven redwood ridge river rocket sable saffron "
    "sage sapphire scarlet sequoia sierra silver solar sparrow spruce stellar sterling summit sunrise "
    "swift tandem terra thunder timber titan topaz trident tundra twin unity valley vanguard vector "
    "velvet vertex victory violet vista willow winter zenith zephyr globex initech umbrella hooli stark "
    "wayne tyrell soylent cyberdyne wonka vandelay gringotts oscorp wernham dunder massive"
)
_SECOND = _words(
    "analytics apparel automation aviation bank bio biotech brands builders capital cargo chemicals "
    "cloud clinics communications consulting controls dairy data design devices diagnostics digital "
    "dynamics education electric energy engineering entertainment environmental farms fashion finance "
    "fitness foods freight furniture games genomics goods health healthcare hospitality imaging "
    "industries infrastructure instruments insurance interactive investments labs learning leisure "
    "lighting logistics machines manufacturing marine materials media medical metals micro mining "
    "mobility motors networks nutrition optics outdoors packaging partners payments pharma pictures "
    "plastics power press printing properties publishing realty recycling renewables research "
    "resources retail robotics security semiconductor services shipping software solar sports "
    "staffing steel storage studios supply systems technologies telecom textiles therapeutics tools "
    "trading transit travel ventures vision water wellness wireless works"
)
_SUFFIX = (
    "Inc.",
    "Inc",
    "Corp.",
    "Corporation",
    "LLC",
    "Ltd",
    "Limited",
    "GmbH",
    "AG",
    "S.A.",
    "B.V.",
    "PLC",
    "Pty Ltd",
    "Oy",
    "AB",
    "Group",
    "Holdings",
    "Co.",
    "",
)
_JA_STEM = (
    "アクメ",
    "サクラ",
    "フジ",
    "ミライ",
    "ヒカリ",
    "ツバサ",
    "ソラ",
    "アオバ",
    "ニッポン",
    "トウキョウ",
    "東洋",
    "大和",
    "日本",
    "中央",
    "東亜",
    "北斗",
    "三和",
    "昭和",
    "新光",
    "富士",
    "明星",
    "旭",
    "丸紅",
    "山田",
)
_JA_WORD = (
    "電機",
    "商事",
    "工業",
    "製作所",
    "物産",
    "化学",
    "精密",
    "技研",
    "システムズ",
    "ソフト",
    "食品",
    "建設",
    "運輸",
    "薬品",
    "通信",
    "銀行",
    "ホールディングス",
    "テクノロジー",
    "メディカル",
    "ロジスティクス",
)
_REGIONS = ("NA", "EMEA", "APAC", "LATAM")
_CRIT = ("low", "medium", "high", "critical")


def _name(rng: random.Random) -> str:
    if rng.random() < 0.05:
        stem, word = rng.choice(_JA_STEM), rng.choice(_JA_WORD)
        return f"株式会社{stem}{word}" if rng.random() < 0.3 else f"{stem}{word}株式会社"
    words = [rng.choice(_FIRST).capitalize()]
    if rng.random() < 0.8:
        words.append(rng.choice(_SECOND).capitalize())
    suffix = rng.choice(_SUFFIX)
    return " ".join(words + ([suffix] if suffix else []))


def _acv(rng: random.Random) -> str:
    amount = min(2_000_000.0, rng.lognormvariate(9.3, 1.1))
    style = rng.random()
    if style < 0.6:
        whole = int(round(amount, -2))
        return f"${whole:,}" if rng.random() < 0.5 else str(whole)
    if style < 0.9:
        return f"{amount:.2f}"
    return rng.choice(("4999.99", "5000", "24999.99", "25000", "$25,000.00"))


def _owner(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.4:
        return "U" + "".join(rng.choices("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789", k=8))
    if roll < 0.7:
        return f"{rng.choice(('ana', 'bo', 'chen', 'dana', 'eli', 'fatima', 'gus', 'hiro'))}@support.example"
    return ""


def generate_accounts_csv(path: str | Path, n: int, seed: int = 1) -> Path:
    """Write `n` accounts with unique names; ~90% carry an external_id, the rest are matched by name.

    The same seed gives the same file, so benches are comparable run to run.
    """
    path = Path(path)
    rng = random.Random(seed)
    keys: set[str] = set()
    header = [
        "external_id",
        "name",
        "domain",
        "acv",
        "usage_criticality",
        "strategic",
        "health_score",
        "owner",
        "region",
    ]
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        for i in range(n):
            name = _name(rng)
            key = normalize(name)
            serial = 2
            while key in keys:  # unique names keep rows without an external_id unambiguous
                name = f"{name.rsplit(' #', 1)[0]} #{serial}"
                key, serial = normalize(name), serial + 1
            keys.add(key)
            slug = "-".join(key.split()[:2]) if key.isascii() else f"jp{i}"
            writer.writerow(
                [
                    f"CRM-{i:07d}" if rng.random() < 0.9 else "",
                    name,
                    f"{slug}.example" if rng.random() < 0.8 else "",
                    _acv(rng),
                    rng.choices(_CRIT, weights=(20, 50, 22, 8))[0],
                    rng.choice(("true", "yes", "1"))
                    if rng.random() < 0.05
                    else rng.choice(("false", "no", "0", "")),
                    str(rng.randint(0, 100)) if rng.random() < 0.85 else "",
                    _owner(rng),
                    rng.choice(_REGIONS),
                ]
            )
    return path


def peak_rss_mb() -> float:
    # ru_maxrss is in KiB on Linux, bytes on macOS.
    scale = 1 if sys.platform == "darwin" else 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 2**20


def _timed(db: Database, csv_path: Path, label: str) -> tuple[float, ImportReport]:
    start, cpu = time.perf_counter(), time.process_time()
    report = import_accounts(db, load_policy(), csv_path, now=datetime.now(UTC))
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    print(
        f"{label}: {seconds:.2f} s wall, {cpu:.2f} s CPU  ({report.new:,} new, {report.updated:,} updated, "
        f"{report.unchanged:,} unchanged, {len(report.errors)} errors)  peak RSS {peak_rss_mb():.0f} MiB"
    )
    return seconds, report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--reimport", action="store_true", help="also time importing the same file again")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        csv_path = generate_accounts_csv(Path(tmp) / "accounts.csv", args.rows, args.seed)
        print(f"generated {args.rows:,} rows ({csv_path.stat().st_size / 2**20:.1f} MiB)")
        db = Database(f"sqlite:///{tmp}/bench.db")
        db.upgrade()
        print(f"RSS before import {peak_rss_mb():.0f} MiB")
        seconds, report = _timed(db, csv_path, "first import")
        if not report.ok:
            print("errors:", *report.errors[:5], sep="\n  ")
            return 1
        if args.reimport:
            _timed(db, csv_path, "re-import")
        db.dispose()
    met = seconds <= TARGET_SECONDS
    print(f"target ≤ {TARGET_SECONDS:.0f} s: {'met' if met else 'MISSED'}")
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
