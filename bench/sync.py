"""Benchmark: live-data syncs from the local fakes into a fresh SQLite file.

    .venv/bin/python -m bench.sync [--companies 100000] [--tickets 1000000] [--orgs 1000]

The fakes run in a child process (their memory and CPU are not tierbot's) and generate pages on
demand. For each sync the bench first reads every page with the same client and no database: that
is the fake's own serving rate in this run, and the sync's records/s is reported against it (the
ratio). Then: a full HubSpot account sync, an incremental one after 1% of the companies changed, and
a full Zendesk ticket sync (organizations linked to the first accounts). Peak RSS is this process's.

Targets (2-core machine): 100,000 companies ≤ 60 s, 1,000,000 tickets ≤ 10 min, peak RSS ≤ 250 MB,
the 1%-changed incremental run ≤ 5% of the full run's time.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from bot.policy.model import load_policy
from bot.sync import service
from bot.sync.hubspot import HubSpotClient
from bot.sync.zendesk import ZendeskClient
from storage.db import Database

NOW = datetime.now(UTC)


def peak_rss_mb() -> float:
    kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kib / 1024 if sys.platform != "darwin" else kib / 1024 / 1024


def _serve(kind: str, args: dict[str, Any], conn: Connection) -> None:
    from tests.fakes.hubspot import FakeHubSpot
    from tests.fakes.zendesk import FakeZendesk

    fake: Any = FakeHubSpot(**args) if kind == "hubspot" else FakeZendesk(**args)
    fake.start()
    conn.send(fake.url)
    while True:
        command, *rest = conn.recv()
        if command == "touch":
            fake.touch(*rest[:2], **rest[2])
            conn.send(None)
        elif command == "clear":
            fake.calls.clear()
            conn.send(None)
        elif command == "stop":
            fake.stop()
            conn.send(None)
            return


class Fake:
    """A fake in a child process."""

    def __init__(self, kind: str, **args: Any) -> None:
        self.conn, child = mp.Pipe()
        self.process = mp.get_context("fork").Process(target=_serve, args=(kind, args, child), daemon=True)
        self.process.start()
        self.url: str = self.conn.recv()

    def call(self, *command: Any) -> Any:
        self.conn.send(command)
        return self.conn.recv()

    def stop(self) -> None:
        self.call("stop")
        self.process.join(5)


def _drain(pages: Iterator[Any]) -> int:
    return sum(len(page.records) for page in pages)


def timed(label: str, run: Any) -> tuple[Any, float]:
    started, cpu = time.perf_counter(), time.process_time()
    result = run()
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    # CPU: this process, all threads; wall time on a shared 2-core machine waits for other work too.
    print(f"  {label}: {seconds:.1f} s (CPU {cpu:.1f} s)", flush=True)
    return result, seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--companies", type=int, default=100_000)
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--orgs", type=int, default=1000)
    args = parser.parse_args(argv)
    policy = load_policy()
    fields = list(policy.sync.hubspot.fields.mapped().values())
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite:///{Path(tmp) / 'sync.db'}")
        db.upgrade()

        print(f"HubSpot: {args.companies:,} companies", flush=True)
        hub = Fake("hubspot", companies=args.companies)
        client = HubSpotClient("pat-test", hub.url)
        served, read_s = timed(
            "read only (the fake's serving rate)", lambda: _drain(client.pages(None, True, fields))
        )
        full, full_s = timed("full sync", lambda: service.sync_accounts(db, policy, NOW, client, full=True))
        assert full.error is None and full.created == args.companies, full
        changed = list(range(1, args.companies + 1, 100))
        hub.call("touch", changed, int(time.time() * 1000), {"acv": "61000"})
        incr, incr_s = timed(
            f"incremental, {len(changed):,} changed", lambda: service.sync_accounts(db, policy, NOW, client)
        )
        assert incr.error is None and incr.updated == len(changed), incr
        client.close()
        hub.stop()
        fake_rate, sync_rate = served / read_s, full.records / full_s
        print(
            f"  fake {fake_rate:,.0f} records/s; sync {sync_rate:,.0f} records/s; ratio {sync_rate / fake_rate:.2f}"
        )
        print(f"  full {full_s:.1f} s (target ≤ 60 s); incremental {incr_s:.2f} s = {incr_s / full_s:.1%} of full "
              f"(target ≤ 5%); {incr.tier_changes:,} tier changes")  # fmt: skip
        ok &= full_s <= 60 and incr_s <= 0.05 * full_s

        print(f"Zendesk: {args.tickets:,} tickets, {args.orgs:,} organizations", flush=True)
        zd = Fake("zendesk", tickets=args.tickets, orgs=args.orgs)
        helpdesk = ZendeskClient(zd.url, "agent@example.com", "zd-token")
        served, read_s = timed(
            "read only (the fake's serving rate)", lambda: _drain(helpdesk.ticket_pages(None, True))
        )
        sync, sync_s = timed(
            "full sync", lambda: service.sync_tickets(db, policy, NOW, helpdesk, "support_tier", full=True)
        )
        assert sync.error is None and sync.created == args.tickets, sync
        helpdesk.close()
        zd.stop()
        fake_rate, sync_rate = served / read_s, sync.records / sync_s
        projected = sync_s * 1_000_000 / args.tickets
        print(
            f"  fake {fake_rate:,.0f} records/s; sync {sync_rate:,.0f} records/s; ratio {sync_rate / fake_rate:.2f}"
        )
        print(
            f"  {sync_s:.1f} s for {args.tickets:,}; 1,000,000 tickets at this rate: {projected:.0f} s (target ≤ 600 s)"
        )
        ok &= projected <= 600
    rss = peak_rss_mb()
    print(f"peak RSS {rss:.0f} MiB (target ≤ 250)")
    ok &= rss <= 250
    print("all targets met" if ok else "TARGET MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
