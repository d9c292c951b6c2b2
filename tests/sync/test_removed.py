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
from tests.sync.conftest import NOW


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
