"""The scenario cache: a second run reuses the arrays (memory, then the file), a change of the data
(a version bump, or a write the fingerprint sees) makes the next run read the database, a broken file
is rebuilt, and the windows cut from a cached source are the ones an uncached read gives."""

from __future__ import annotations

import hashlib
import tempfile
from dataclasses import fields
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import func, select, update

from bot.accounts.overrides import set_override
from bot.scenarios.cache import Served, SnapshotCache, current_key, default_directory, shared
from bot.scenarios.service import ScenarioResult, SweepResult, run_scenario, run_sweep
from bot.scenarios.snapshot import Snapshot, load
from bot.scenarios.variant import SweepSpec, Variant, parse_sweep
from storage.db import Database
from storage.models import Account, Base
from storage.models.tickets import Ticket
from storage.versions import ACCOUNTS, TICKETS, bump_version
from tests.conftest import add_account
from tests.scenarios.example import NOW, POLICY, seed

VARIANT = Variant((("premium", Decimal(15000)),), days=7)


def _run(db: Database, cache: SnapshotCache, now: datetime = NOW) -> ScenarioResult:
    with db.engine.connect() as conn:
        out = run_scenario(conn, POLICY, now, VARIANT, cache=cache)
    assert isinstance(out, ScenarioResult)
    return out


def _fresh(db: Database, now: datetime = NOW) -> ScenarioResult:
    """What a process with no cache at all computes: memory off, a directory of its own."""
    with tempfile.TemporaryDirectory() as tmp:
        cache = SnapshotCache(Path(tmp), keep_in_memory=False)
        out = _run(db, cache, now)
        assert served(cache) is Served.DATABASE
        return out


def served(cache: SnapshotCache) -> Served | None:
    """Where the last snapshot came from (a call, so each check reads the attribute afresh)."""
    return cache.last


def _same(a: Snapshot, b: Snapshot) -> None:
    for f in fields(Snapshot):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if isinstance(x, np.ndarray):
            assert np.array_equal(x, y, equal_nan=True), f.name
        else:
            assert x == y, f.name


@pytest.fixture
def cache(tmp_path: Path) -> SnapshotCache:
    return SnapshotCache(tmp_path / "cache")


def test_the_second_run_reuses_the_arrays_and_gives_the_same_result(
    db: Database, cache: SnapshotCache
) -> None:
    seed(db)
    first = _run(db, cache)
    assert served(cache) is Served.DATABASE
    second = _run(db, cache)
    assert served(cache) is Served.MEMORY
    assert second == first == _fresh(db)


def test_a_later_run_cuts_its_window_from_the_same_arrays(db: Database, cache: SnapshotCache) -> None:
    """The arrays do not depend on `now`: five minutes or two days later is still a hit, and the window
    (tickets leaving it, overrides expiring) is exactly what an uncached read gives."""
    ids = seed(db)
    until = (NOW + timedelta(days=1)).date()  # expires between NOW and two days later
    set_override(db, POLICY, ids["A3"], "premium", "pilot", "UADMIN", NOW - timedelta(days=1), until)
    _run(db, cache)
    with db.engine.connect() as conn:
        for later in (NOW + timedelta(minutes=5), NOW + timedelta(days=2), NOW + timedelta(days=4)):
            for days in (1, 7):
                snap = cache.snapshot(conn, later, days)
                assert served(cache) is Served.MEMORY
                _same(snap, load(conn, later, days))
                window = (Ticket.created_at >= later - timedelta(days=days), Ticket.created_at < later)
                assert snap.tickets == conn.scalar(select(func.count()).select_from(Ticket).where(*window))
                active = set(snap.overrides)
                assert bool(active) == (later < NOW + timedelta(days=2))  # expired by then
    after = _run(db, cache, NOW + timedelta(days=2))  # the override has expired, some tickets left
    assert served(cache) is Served.MEMORY
    assert after == _fresh(db, NOW + timedelta(days=2))


def test_a_process_without_the_arrays_reads_the_file(
    db: Database, cache: SnapshotCache, tmp_path: Path
) -> None:
    seed(db)
    first = _run(db, cache)
    other = SnapshotCache(tmp_path / "cache")  # another worker, or this one restarted
    assert _run(db, other) == first
    assert served(other) is Served.FILE


def test_a_wider_window_than_the_cached_one_reads_the_database(db: Database, cache: SnapshotCache) -> None:
    seed(db)
    _run(db, cache)  # 7 days
    with db.engine.connect() as conn:
        _same(cache.snapshot(conn, NOW, 30), load(conn, NOW, 30))
        assert served(cache) is Served.DATABASE
        cache.snapshot(conn, NOW, 7)
        assert served(cache) is Served.MEMORY  # the 30 days hold the 7


@pytest.mark.parametrize("name", [ACCOUNTS, TICKETS])
def test_a_version_bump_makes_every_process_read_the_database_again(
    db: Database, cache: SnapshotCache, tmp_path: Path, name: str
) -> None:
    seed(db)
    _run(db, cache)
    with db.session() as session:
        bump_version(session, name)
    _run(db, cache)
    assert served(cache) is Served.DATABASE
    other = SnapshotCache(tmp_path / "cache")
    _run(db, other)
    assert served(other) is Served.FILE  # the file was rewritten for the new versions


def test_changed_accounts_and_tickets_are_seen_by_the_next_run(db: Database, cache: SnapshotCache) -> None:
    ids = seed(db)
    before = _run(db, cache)
    with db.session() as session:  # as the importer does: write, then bump
        session.execute(update(Account).where(Account.id == ids["A1"]).values(acv=Decimal(9000)))
        bump_version(session, ACCOUNTS)
    moved = _run(db, cache)
    assert served(cache) is Served.DATABASE and moved != before
    assert moved.today[0].accounts == before.today[0].accounts - 1  # A1 left premium today
    with db.session() as session:
        session.execute(update(Ticket).where(Ticket.id == "T-A1-sev1").values(first_response_minutes=30))
        bump_version(session, TICKETS)
    faster = _run(db, cache)
    assert served(cache) is Served.DATABASE
    assert faster.today_measures.fairness != moved.today_measures.fairness and faster == _fresh(db)


def test_an_override_set_through_the_service_is_seen_by_the_next_run(
    db: Database, cache: SnapshotCache
) -> None:
    ids = seed(db)
    before = _run(db, cache)
    set_override(db, POLICY, ids["A3"], "premium", "pilot", "UADMIN", NOW - timedelta(days=1))
    after = _run(db, cache)
    assert served(cache) is Served.DATABASE
    assert after.today[0].accounts == before.today[0].accounts + 1


def test_a_write_that_forgot_to_bump_still_changes_the_fingerprint(
    db: Database, cache: SnapshotCache
) -> None:
    """A database replaced or truncated under the same URL restarts the counters: the key also holds the
    accounts' count, highest id, latest update, ACV total and strategic count, and the tickets' first and
    last creation."""
    seed(db)
    _run(db, cache)
    add_account(db, POLICY, "A5", 50000)  # no bump_version
    _run(db, cache)
    assert served(cache) is Served.DATABASE
    with db.session() as session:  # same count, ids and update time; another ACV total
        session.execute(
            update(Account).where(Account.name == "A1").values(acv=9000, updated_at=Account.updated_at)
        )
    _run(db, cache)
    assert served(cache) is Served.DATABASE
    _run(db, cache)
    assert served(cache) is Served.MEMORY


@pytest.mark.parametrize("damage", ["truncated", "garbage", "flipped", "missing", "other key"])
def test_a_broken_or_foreign_file_is_rebuilt(db: Database, tmp_path: Path, damage: str) -> None:
    seed(db)
    first = _run(db, SnapshotCache(tmp_path / "cache"))
    (path,) = (tmp_path / "cache").iterdir()
    data = path.read_bytes()
    if damage == "truncated":
        path.write_bytes(data[: len(data) // 2])
    elif damage == "garbage":
        path.write_bytes(b"not a zip file at all")
    elif damage == "flipped":  # one bit in the middle of an array: the zip's CRC-32 catches it
        middle = len(data) // 2
        path.write_bytes(data[:middle] + bytes([data[middle] ^ 0x01]) + data[middle + 1 :])
    elif damage == "missing":
        path.unlink()
    else:  # the file of other data under the same name: stale, never served
        with db.session() as session:
            bump_version(session, TICKETS)
        _run(db, SnapshotCache(tmp_path / "elsewhere"))
        (path.parent / path.name).write_bytes(next((tmp_path / "elsewhere").iterdir()).read_bytes())
        with db.session() as session:
            bump_version(session, TICKETS)
    other = SnapshotCache(tmp_path / "cache")
    assert _run(db, other) == first
    assert served(other) is Served.DATABASE
    again = SnapshotCache(tmp_path / "cache")
    _run(db, again)
    assert served(again) is Served.FILE  # rewritten whole


def test_an_unwritable_directory_only_costs_the_file(db: Database, tmp_path: Path) -> None:
    seed(db)
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("x")
    cache = SnapshotCache(blocker / "cache")
    assert _run(db, cache) == _fresh(db)
    assert _run(db, cache) is not None and served(cache) is Served.MEMORY


def test_memory_can_be_left_to_the_file(db: Database, tmp_path: Path) -> None:
    seed(db)
    cache = SnapshotCache(tmp_path / "cache", keep_in_memory=False)
    _run(db, cache)
    _run(db, cache)
    assert served(cache) is Served.FILE


def _contents(db: Database) -> dict[str, str]:
    out = {}
    with db.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            rows = conn.execute(select(table).order_by(*table.primary_key.columns)).all()
            out[table.name] = f"{len(rows)}:{hashlib.sha256(repr(rows).encode()).hexdigest()}"
    return out


def test_cached_runs_are_read_only_and_write_only_their_file(db: Database, tmp_path: Path) -> None:
    ids = seed(db)
    set_override(db, POLICY, ids["A3"], "premium", "pilot", "UADMIN", NOW - timedelta(days=1))
    before = _contents(db)
    files_before = {p for p in tmp_path.rglob("*") if p.is_file()}
    cache = SnapshotCache(tmp_path / "cache")
    spec = parse_sweep(POLICY, "premium=3000..21000 step 1000 days=7")
    assert isinstance(spec, SweepSpec)
    with db.session() as session:
        for _ in range(2):
            assert isinstance(run_scenario(session, POLICY, NOW, VARIANT, cache=cache), ScenarioResult)
            assert isinstance(run_sweep(session, POLICY, NOW, spec, cache=cache), SweepResult)
    assert _contents(db) == before
    written = {p for p in tmp_path.rglob("*") if p.is_file()} - files_before
    assert [p.parent for p in written] == [tmp_path / "cache"]
    assert all(p.name.startswith("scenarios-") for p in written)


def test_the_process_cache_is_one_per_database_next_to_its_file(db: Database, tmp_path: Path) -> None:
    seed(db)
    if db.engine.url.get_backend_name() != "sqlite":
        with db.engine.connect() as conn:  # a server database keeps its arrays in memory only
            assert default_directory(conn) is None
        return
    other = Database(f"sqlite:///{tmp_path / 'other.db'}")
    other.upgrade()
    try:
        with db.engine.connect() as conn, other.engine.connect() as conn2:
            assert shared(conn) is shared(conn) and shared(conn) is not shared(conn2)
            assert default_directory(conn) == tmp_path.resolve() / "tierbot-cache" / "scenarios"
            assert current_key(conn).database != current_key(conn2).database
        with db.engine.connect() as conn:  # without `cache=`, the front door uses it
            run_scenario(conn, POLICY, NOW, VARIANT)
            assert shared(conn).last is Served.DATABASE
            run_scenario(conn, POLICY, NOW, VARIANT)
            assert shared(conn).last is Served.MEMORY
        assert list((tmp_path / "tierbot-cache" / "scenarios").glob("scenarios-*.npz"))
    finally:
        other.dispose()


def test_the_shared_arrays_cannot_be_written(db: Database, cache: SnapshotCache) -> None:
    """Every run until the data change reads the same arrays: a write into them is refused, not kept."""
    seed(db)
    with db.engine.connect() as conn:
        snap = cache.snapshot(conn, NOW, 7)
    with pytest.raises(ValueError, match="read-only"):
        snap.acv[0] = 1.0
    with pytest.raises(ValueError, match="read-only"):
        snap.created[:] = 0.0
