"""Marking accounts removed at their source: bounded statements, restores respected, and a run that
fails unexpectedly is recorded as failed."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, select, update

from bot.policy.model import Policy
from bot.sync import service, state
from bot.sync.accounts import mark_removed
from bot.sync.hubspot import HubSpotClient
from bot.sync.types import Page
from storage.db import Database
from storage.models import Account
from tests.fakes.hubspot import FakeHubSpot
from tests.fakes.salesforce import FakeSalesforce
from tests.sync.conftest import NOW, salesforce_client


def _limit_sqlite_variables(db: Database, limit: int = 32_766) -> None:
    """SQLite's default bound (SQLITE_MAX_VARIABLE_NUMBER); this build allows 250,000."""

    @event.listens_for(db.engine, "connect")
    def _connect(dbapi: Any, _record: Any) -> None:
        if isinstance(dbapi, sqlite3.Connection):
            dbapi.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, limit)

    db.engine.dispose()


def test_marking_70000_ids_stays_under_the_parameter_limits(
    db: Database, policy: Policy, hubspot_client: HubSpotClient
) -> None:
    service.sync_accounts(db, policy, NOW, hubspot_client, full=True)
    _limit_sqlite_variables(db)
    removed: list[tuple[str, datetime | None]] = [(str(i), None) for i in range(100_000, 170_000)]
    removed.append(("7", NOW - timedelta(hours=1)))
    with db.session() as session:
        assert mark_removed(session, "hubspot", removed, NOW) == 1
        gone = session.scalars(select(Account).where(Account.source_id == "7")).one()
        assert gone.source_removed_at == NOW - timedelta(hours=1)


def test_a_record_changed_after_its_deletion_time_is_not_marked(
    db: Database, policy: Policy, hubspot_client: HubSpotClient
) -> None:
    service.sync_accounts(db, policy, NOW, hubspot_client, full=True)
    with db.session() as session:
        session.execute(
            update(Account).where(Account.source_id == "3").values(source_updated_at=NOW - timedelta(hours=1))
        )
        session.execute(
            update(Account).where(Account.source_id == "4").values(source_updated_at=NOW - timedelta(days=3))
        )
    archived = NOW - timedelta(days=2)
    with db.session() as session:
        # 3 was restored (and read again) after it was archived: an archive list read later still names it.
        assert mark_removed(session, "hubspot", [("3", archived), ("4", archived)], NOW) == 1
        marked = dict(session.execute(select(Account.source_id, Account.source_removed_at)).all())
    assert marked["3"] is None and marked["4"] == archived


class _Broken:
    name = "hubspot"
    token_setting = "HUBSPOT_TOKEN"
    removed_every = None

    def pages(self, cursor: str | None, full: bool, fields: Sequence[str]) -> Iterator[Page]:
        raise RuntimeError("boom: a bug, not a vendor error\nsecond line")
        yield  # pragma: no cover

    def removed(self, now: datetime, marks: dict[str, Any]) -> Iterator[Any]:  # pragma: no cover
        return iter(())


def test_an_unexpected_exception_is_recorded_as_the_runs_error_not_a_success(
    db: Database, policy: Policy, hubspot: FakeHubSpot
) -> None:
    with pytest.raises(RuntimeError):
        service.sync_accounts(db, policy, NOW, _Broken())  # type: ignore[arg-type]
    row = {s.source: s for s in state.states(db)}["hubspot"]
    assert row.last_success_at is None and row.last_error_at == NOW
    assert row.last_error == "hubspot: failed (RuntimeError: boom: a bug, not a vendor error)"
    assert row.lease_holder is None  # released: the next run can start


# -- the Salesforce delete log ------------------------------------------------------------------


def _sf_sync(db: Database, policy: Policy, fake: FakeSalesforce, now: datetime) -> service.SyncSummary:
    client = salesforce_client(fake)
    try:
        return service.sync_accounts(db, policy, now, client)
    finally:
        client.close()


def _windows(fake: FakeSalesforce) -> list[tuple[str, str]]:
    return [(c.query["start"], c.query["end"]) for c in fake.calls_to("/sobjects/Account/deleted/")]


def test_the_delete_log_is_read_from_its_mark_as_of_the_runs_now(
    db: Database, policy: Policy, salesforce: FakeSalesforce
) -> None:
    salesforce.delete([7], (NOW - timedelta(days=3)).timestamp())
    first = _sf_sync(db, policy, salesforce, NOW)
    assert first.status == "ok" and first.deleted == 0  # not synced yet: nothing to mark
    assert _windows(salesforce) == [("2026-11-15T12:00:00.000Z", "2026-11-29T12:00:00.000Z")]
    assert state.read_marks(db, "salesforce")["deleted_through"] == "2026-11-29T12:00:00.000Z"
    later = NOW + timedelta(minutes=15)
    salesforce.delete([9], (later - timedelta(minutes=5)).timestamp())
    second = _sf_sync(db, policy, salesforce, later)
    assert second.deleted == 1
    assert _windows(salesforce)[-1] == ("2026-11-29T12:00:00.000Z", "2026-11-29T12:15:00.000Z")
    # Within a minute of the mark there is nothing to ask (the API needs start > a minute before end).
    calls = len(_windows(salesforce))
    assert _sf_sync(db, policy, salesforce, later + timedelta(seconds=30)).status == "ok"
    assert len(_windows(salesforce)) == calls


def test_a_purged_delete_log_is_read_again_once_from_its_earliest_date(
    db: Database, policy: Policy, salesforce: FakeSalesforce
) -> None:
    client = salesforce_client(salesforce)
    service.sync_accounts(db, policy, NOW - timedelta(days=20), client, full=True)
    client.close()
    salesforce.calls.clear()
    salesforce.purged_before = (NOW - timedelta(days=5)).timestamp()
    salesforce.delete([7], (NOW - timedelta(days=3)).timestamp())
    summary = _sf_sync(db, policy, salesforce, NOW)
    assert summary.status == "ok", summary.error
    assert summary.deleted == 1 and "the delete log was purged up to 2026-11-24 12:00 UTC" in summary.notes[0]
    starts = [start for start, _ in _windows(salesforce)]
    assert starts == ["2026-11-15T12:00:00.000Z", "2026-11-29T11:58:00.000Z", "2026-11-24T12:00:01.000Z"]
    # The next run starts from the mark: no more INVALID_REPLICATION_DATE.
    again = _sf_sync(db, policy, salesforce, NOW + timedelta(minutes=15))
    assert again.status == "ok" and not again.notes and len(_windows(salesforce)) == 4


def test_more_deleted_ids_than_the_limit_splits_the_window(
    db: Database, policy: Policy, salesforce: FakeSalesforce
) -> None:
    client = salesforce_client(salesforce)
    service.sync_accounts(db, policy, NOW - timedelta(days=20), client, full=True)
    client.close()
    salesforce.calls.clear()
    salesforce.id_limit = 3
    salesforce.delete([1, 2], (NOW - timedelta(days=10)).timestamp())
    salesforce.delete([3, 4, 5], (NOW - timedelta(days=2)).timestamp())
    summary = _sf_sync(db, policy, salesforce, NOW)
    assert summary.status == "ok", summary.error
    assert summary.deleted == 5 and len(_windows(salesforce)) == 3  # refused, then two halves
    assert state.read_marks(db, "salesforce")["deleted_through"] == "2026-11-29T12:00:00.000Z"
