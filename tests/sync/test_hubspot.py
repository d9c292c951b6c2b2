"""HubSpot account sync against the fake: full and incremental runs, the search cap, failures."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from bot.policy.model import Policy
from bot.sync import service, state
from bot.sync.hubspot import HubSpotClient
from storage.db import Database
from storage.models import Account, TierChange
from tests.fakes.hubspot import BASE_MS, FakeHubSpot, rate_limit_body
from tests.sync.conftest import NOW


def count(db: Database, model: type) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_full_sync_creates_accounts_with_tiers_and_history(
    db: Database, policy: Policy, hubspot: FakeHubSpot, hubspot_client: HubSpotClient
) -> None:
    summary = service.sync_accounts(db, policy, NOW, hubspot_client, full=True)
    assert summary.status == "ok", summary.error
    assert (summary.created, summary.updated, summary.rejected) == (250, 0, 0)
    assert summary.records == 250 and summary.records_per_second > 0
    with db.session() as session:
        acme = session.scalars(select(Account).where(Account.source_id == "7")).one()
        assert (acme.source, acme.name, acme.domain, acme.external_id) == (
            "hubspot",
            "Company 7",
            "c7.example",
            "7",
        )
        assert acme.source_updated_at is not None and acme.source_updated_at.tzinfo is not None
        history = session.scalars(select(TierChange).where(TierChange.account_id == acme.id)).one()
        assert (history.cause, history.from_tier, history.to_tier) == ("sync", None, acme.tier)
    # A second full run finds nothing new.
    again = service.sync_accounts(db, policy, NOW, hubspot_client, full=True)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 250)
    assert count(db, TierChange) == 250


def test_malformed_records_are_rejected_with_id_and_field_while_the_page_applies(
    db: Database, policy: Policy, hubspot: FakeHubSpot, hubspot_client: HubSpotClient
) -> None:
    hubspot.set(3, name="")
    hubspot.set(4, acv="lots")
    hubspot.set(5, usage_criticality="sometimes")
    summary = service.sync_accounts(db, policy, NOW, hubspot_client, full=True)
    assert summary.created == 247 and summary.rejected == 3
    reasons = {(r.record_id, r.field): r.reason for r in summary.rejects}
    assert reasons[("3", "name")] == "name is empty"
    assert "not an amount" in reasons[("4", "acv")]
    assert "sometimes" in reasons[("5", "usage_criticality")]
    status = {s.source: s for s in service.sync_status(db, NOW)}["hubspot"]
    assert {r.record_id for r in status.rejects} == {"3", "4", "5"}


def test_incremental_moves_the_window_before_the_search_cap(db: Database, policy: Policy) -> None:
    fake = FakeHubSpot(companies=1000, search_cap=300).start()
    client = HubSpotClient(fake.token, fake.url, search_cap=300)
    try:
        with db.session() as session:
            state._ensure_row(db, "hubspot", NOW)
        with db.session() as session:
            session.get(state.SyncState, "hubspot").cursor = json.dumps({"mark": BASE_MS, "ids": []})  # type: ignore[union-attr]
        summary = service.sync_accounts(db, policy, NOW, client)
        assert summary.status == "ok", summary.error
        assert summary.created == 1000 and count(db, Account) == 1000
        searches = fake.calls_to("/search")
        assert all(int(c.body.get("after") or 0) + 100 <= 300 for c in searches)
        assert len({c.body["filterGroups"][0]["filters"][0]["value"] for c in searches}) >= 4  # windows moved
        # 10 companies change; the next run reads only those.
        fake.touch(list(range(500, 510)), BASE_MS + 5_000_000, acv="99000")
        fake.calls.clear()
        again = service.sync_accounts(db, policy, NOW, client)
        assert (again.created, again.updated, again.records) == (0, 10, 10)
    finally:
        client.close()
        fake.stop()


def test_one_instant_larger_than_a_window_is_walked_by_id(db: Database, policy: Policy) -> None:
    fake = FakeHubSpot(companies=500, search_cap=300).start()
    client = HubSpotClient(fake.token, fake.url, search_cap=300)
    try:
        service.sync_accounts(db, policy, NOW, client, full=True)
        fake.touch(list(range(1, 451)), BASE_MS + 9_000_000, acv="1")  # a bulk update: one instant
        with db.session() as session:
            session.get(state.SyncState, "hubspot").cursor = json.dumps(
                {"mark": BASE_MS + 9_000_000, "ids": []}
            )  # type: ignore[union-attr]
        summary = service.sync_accounts(db, policy, NOW, client)
        assert summary.status == "ok", summary.error
        assert summary.records == 450 and summary.updated == 450
    finally:
        client.close()
        fake.stop()


def test_crash_between_pages_resumes_where_it_stopped(
    db: Database,
    policy: Policy,
    hubspot: FakeHubSpot,
    hubspot_client: HubSpotClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from bot.sync import prefetch

    monkeypatch.setattr(prefetch, "GROUP", 100)  # one transaction per API page

    def crash(done: int, total: int | None) -> None:
        if done >= 100:
            raise RuntimeError("killed")

    with pytest.raises(RuntimeError):
        service.sync_accounts(db, policy, NOW, hubspot_client, full=True, progress=crash)
    assert count(db, Account) == 100
    hubspot.calls.clear()
    summary = service.sync_accounts(db, policy, NOW, hubspot_client)
    assert summary.status == "ok" and summary.created == 150
    assert hubspot.calls[0].query.get("after") == "100"  # resumed, not restarted
    assert count(db, Account) == 250 and count(db, TierChange) == 250  # nothing applied twice


@pytest.mark.parametrize("status", [500, 503])
def test_server_errors_are_retried(
    db: Database, policy: Policy, hubspot: FakeHubSpot, hubspot_client: HubSpotClient, status: int
) -> None:
    hubspot.fail(
        "/crm/v3/objects/companies", status, times=2, body={"status": "error", "message": "internal"}
    )
    summary = service.sync_accounts(db, policy, NOW, hubspot_client, full=True)
    assert summary.status == "ok" and summary.created == 250


def test_server_errors_past_the_bound_stop_with_the_cursor_kept(
    db: Database, policy: Policy, hubspot: FakeHubSpot, hubspot_client: HubSpotClient
) -> None:
    service.sync_accounts(db, policy, NOW, hubspot_client, full=True)
    hubspot.fail("/search", 500, times=50)
    summary = service.sync_accounts(db, policy, NOW, hubspot_client)
    assert summary.status == "stopped"
    assert "gave up after 5 tries" in (summary.error or "") and "500" in (summary.error or "")
    assert len(hubspot.calls_to("/search")) == 5
    status = {s.source: s for s in service.sync_status(db, NOW)}["hubspot"]
    assert status.last_error == summary.error and status.last_success_at is not None and not status.running


def test_timeouts_are_retried(db: Database, policy: Policy, hubspot: FakeHubSpot) -> None:
    import httpx

    from bot.sync import http

    client = HubSpotClient(hubspot.token, hubspot.url)
    client.http.timeout = httpx.Timeout(0.2)
    hubspot.fail("/crm/v3/objects/companies", 0, times=1, delay=0.5)
    try:
        summary = service.sync_accounts(db, policy, NOW, client, full=True)
    finally:
        client.close()
    assert summary.status == "ok" and summary.created == 250
    assert http.ATTEMPTS >= 2


def test_secondly_rate_limit_waits_and_daily_stops(
    db: Database, policy: Policy, hubspot: FakeHubSpot, hubspot_client: HubSpotClient
) -> None:
    headers = {"X-HubSpot-RateLimit-Interval-Milliseconds": "1000", "X-HubSpot-RateLimit-Remaining": "0"}
    hubspot.fail("/crm/v3/objects/companies", 429, times=2, body=rate_limit_body("SECONDLY"), headers=headers)
    assert service.sync_accounts(db, policy, NOW, hubspot_client, full=True).created == 250
    hubspot.fail("/search", 429, times=1, body=rate_limit_body("DAILY"))
    stopped = service.sync_accounts(db, policy, NOW, hubspot_client)
    assert stopped.status == "stopped" and "daily API limit" in (stopped.error or "")
    assert len(hubspot.calls_to("/search")) == 1  # no retry storm


def test_a_bad_token_is_one_clear_error_naming_the_setting(
    db: Database, policy: Policy, hubspot: FakeHubSpot
) -> None:
    client = HubSpotClient("pat-expired-secret-value", hubspot.url)
    try:
        summary = service.sync_accounts(db, policy, NOW, client, full=True)
    finally:
        client.close()
    assert summary.status == "stopped"
    assert "HUBSPOT_TOKEN" in (summary.error or "") and "hubspot" in (summary.error or "")
    assert "pat-expired-secret-value" not in (summary.error or "")
    assert len(hubspot.calls) == 1


def test_the_backoff_hook_uses_the_vendors_wait() -> None:
    from bot.sync.http import Retry, _backoff

    assert _backoff(Retry("429", 2.5)) == 2.5
    assert _backoff(Retry("500")) is True
    assert _backoff(ValueError()) is False


def test_a_run_that_lost_its_lease_writes_no_more(
    db: Database,
    policy: Policy,
    hubspot: FakeHubSpot,
    hubspot_client: HubSpotClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from sqlalchemy import update

    from bot.sync import prefetch

    monkeypatch.setattr(prefetch, "GROUP", 100)

    def steal(done: int, total: int | None) -> None:
        with db.session() as session:  # as if this run stalled past its lease and another took over
            session.execute(update(state.SyncState).values(lease_holder="thief:1:x"))

    summary = service.sync_accounts(db, policy, NOW, hubspot_client, full=True, progress=steal)
    assert summary.status == "stopped" and "lost its lease" in (summary.error or "")
    assert count(db, Account) == 100  # the first page only; the second was rolled back


def test_a_sync_that_changes_a_health_score_keeps_the_old_value(
    db: Database, policy: Policy, hubspot: FakeHubSpot, hubspot_client: HubSpotClient
) -> None:
    from storage.models.alerts import HealthChange

    assert service.sync_accounts(db, policy, NOW, hubspot_client, full=True).status == "ok"
    assert count(db, HealthChange) == 0  # new accounts: nothing changed yet
    hubspot.touch([7, 8], BASE_MS + 5_000_000, health_score="20")
    hubspot.touch([9], BASE_MS + 5_000_000, acv="99000")  # health unchanged: no history row
    summary = service.sync_accounts(db, policy, NOW, hubspot_client, full=True)
    assert summary.status == "ok" and summary.updated == 3, summary.error
    with db.session() as session:
        rows = session.execute(
            select(Account.source_id, HealthChange.old_value, HealthChange.new_value, HealthChange.at)
            .join(Account, Account.id == HealthChange.account_id)
            .order_by(Account.source_id)
        ).all()
    assert [tuple(r) for r in rows] == [("7", 7, 20, NOW), ("8", 8, 20, NOW)]
