"""Tiers written back to the CRMs (HubSpot batch update, Salesforce sObject Collections) over the fakes:
only changed tiers, every write recorded, per-record failures named, 429/401/5xx as the reads."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import delete, select, update

from bot.policy.model import Policy
from bot.sync import service
from bot.sync.hubspot import HubSpotClient
from bot.sync.push import changed_tiers, hubspot_target, salesforce_target
from storage.db import Database
from storage.models import Account
from storage.models.sync import PushedTier
from tests.fakes.hubspot import FakeHubSpot, rate_limit_body
from tests.fakes.salesforce import FakeSalesforce, sf_id
from tests.sync.conftest import NOW, salesforce_client

PROP = "support_tier"
FIELD = "Support_Tier__c"


@pytest.fixture
def synced(db: Database, policy: Policy, hubspot_client: HubSpotClient) -> Database:
    assert service.sync_accounts(db, policy, NOW, hubspot_client, full=True).created == 250
    return db


def tiers(db: Database, source: str) -> dict[str, str]:
    with db.session() as session:
        rows = session.execute(select(Account.source_id, Account.tier).where(Account.source == source))
        return {r.source_id: r.tier for r in rows}


def pushed(db: Database, target: str) -> dict[str, str]:
    with db.session() as session:
        rows = session.execute(
            select(PushedTier.remote_id, PushedTier.tier).where(PushedTier.target == target)
        )
        return {r.remote_id: r.tier for r in rows}


def test_hubspot_push_writes_changed_tiers_only_and_names_per_record_failures(
    synced: Database, hubspot: FakeHubSpot, hubspot_client: HubSpotClient
) -> None:
    hubspot.archived = {5}
    target = hubspot_target(hubspot_client, PROP)
    first = service.push_target(synced, NOW, target)
    assert first.status == "ok", first.error
    assert [len(b) for b in hubspot.batch_updates] == [100, 100, 50]
    assert hubspot.batch_updates[0][0] == {"id": "1", "properties": {PROP: tiers(synced, "hubspot")["1"]}}
    assert (first.pushed, first.failures) == (249, 1)
    assert first.failed[0][0] == "5" and first.failed[0][1].startswith("OBJECT_NOT_FOUND: Could not get")
    assert hubspot.props[7][PROP] == tiers(synced, "hubspot")["7"]
    assert pushed(synced, "hubspot") == {k: v for k, v in tiers(synced, "hubspot").items() if k != "5"}
    # The refusal is kept where `tierbot sync status` lists it.
    status = {s.source: s for s in service.sync_status(synced, NOW)}["push-hubspot"]
    assert status.stats["rejected"] == 1 and status.rejects[0].record_id == "5"
    assert "company 5: OBJECT_NOT_FOUND" in status.rejects[0].reason

    # The refused company is not sent again with the same tier within a day: no call at all.
    calls = len(hubspot.batch_updates)
    held = service.push_target(synced, NOW + timedelta(hours=23), target)
    assert (held.pushed, held.failures, held.skipped) == (0, 0, 1) and len(hubspot.batch_updates) == calls
    # A day later it is tried again: only it, nothing else.
    later = NOW + timedelta(hours=25)
    second = service.push_target(synced, later, target)
    assert (second.pushed, second.failures) == (0, 1)
    assert hubspot.batch_updates[-1] == [{"id": "5", "properties": {PROP: tiers(synced, "hubspot")["5"]}}]
    hubspot.archived = set()
    other = next(t for t in ("enterprise", "starter") if t != tiers(synced, "hubspot")["5"])
    with synced.session() as session:
        session.execute(update(Account).where(Account.source_id == "9").values(tier="enterprise"))
        session.execute(update(Account).where(Account.source_id == "5").values(tier=other))
    third = service.push_target(synced, later, target)  # 5's tier changed: sent again at once
    assert (third.pushed, third.failures) == (2, 0)
    assert sorted(i["id"] for i in hubspot.batch_updates[-1]) == ["5", "9"]
    assert hubspot.props[9][PROP] == "enterprise"
    assert changed_tiers(synced, "hubspot") == []
    assert len(hubspot.batch_updates) == 5


def test_hubspot_429_on_the_write_is_waited_out_a_daily_limit_stops_and_resumes(
    synced: Database, hubspot: FakeHubSpot, hubspot_client: HubSpotClient
) -> None:
    target = hubspot_target(hubspot_client, PROP)
    hubspot.fail("batch/update", 429, times=1, body=rate_limit_body(), headers={"Retry-After": "1"})
    done = service.push_target(synced, NOW, target)
    assert done.status == "ok" and done.pushed == 250
    assert len(hubspot.calls_to("batch/update")) == 4  # the first batch twice

    with synced.session() as session:
        session.execute(update(Account).values(tier="enterprise"))
    todo = len(changed_tiers(synced, "hubspot"))
    assert todo > 0
    hubspot.fail("batch/update", 429, times=1, body=rate_limit_body("DAILY"))
    calls = len(hubspot.calls_to("batch/update"))
    stopped = service.push_target(synced, NOW, target)
    assert stopped.status == "stopped" and "daily API limit" in (stopped.error or "")
    assert stopped.pushed == 0 and len(hubspot.calls_to("batch/update")) == calls + 1  # not retried
    assert len(changed_tiers(synced, "hubspot")) == todo
    resumed = service.push_target(synced, NOW, target)
    assert resumed.status == "ok" and resumed.pushed == todo


def test_hubspot_5xx_on_the_write_is_retried_and_a_bad_token_stops_with_the_setting(
    synced: Database, hubspot: FakeHubSpot, hubspot_client: HubSpotClient
) -> None:
    hubspot.fail("batch/update", 502, times=2)
    assert service.push_target(synced, NOW, hubspot_target(hubspot_client, PROP)).pushed == 250
    with synced.session() as session:
        session.execute(update(Account).where(Account.source_id == "3").values(tier="enterprise"))
    wrong = HubSpotClient("pat-revoked", hubspot.url)
    calls = len(hubspot.calls)
    try:
        result = service.push_target(synced, NOW, hubspot_target(wrong, PROP))
    finally:
        wrong.close()
    assert result.status == "stopped" and "check HUBSPOT_TOKEN" in (result.error or "")
    assert "pat-revoked" not in (result.error or "") and len(hubspot.calls) == calls + 1


@pytest.fixture
def sf_synced(db: Database, policy: Policy, salesforce: FakeSalesforce) -> Iterator[Database]:
    client = salesforce_client(salesforce)
    try:
        assert service.sync_accounts(db, policy, NOW, client, full=True).created == 450
    finally:
        client.close()
    yield db


def test_salesforce_push_updates_200_per_call_and_names_refused_records(
    sf_synced: Database, salesforce: FakeSalesforce
) -> None:
    salesforce.deleted = {3}
    client = salesforce_client(salesforce)
    try:
        salesforce.expire_tokens()  # the write refreshes the token once, as the reads do
        result = service.push_target(sf_synced, NOW, salesforce_target(client, FIELD))
        assert result.status == "ok", result.error
        bodies = salesforce.collection_updates
        assert [len(b["records"]) for b in bodies] == [200, 200, 50]
        assert bodies[0]["allOrNone"] is False
        first = bodies[0]["records"][0]
        assert first == {
            "attributes": {"type": "Account"},
            "id": sf_id(1),
            FIELD: tiers(sf_synced, "salesforce")[sf_id(1)],
        }
        assert (result.pushed, result.failures) == (449, 1)
        assert result.failed == ((sf_id(3), "ENTITY_IS_DELETED: entity is deleted"),)
        assert salesforce.values[8][FIELD] == tiers(sf_synced, "salesforce")[sf_id(8)]
        again = service.push_target(sf_synced, NOW + timedelta(days=1), salesforce_target(client, FIELD))
        assert (again.pushed, again.failures) == (0, 1) and len(bodies[-1]["records"]) == 1
    finally:
        client.close()


def test_salesforce_request_limit_on_the_write_stops_without_retrying(
    sf_synced: Database, salesforce: FakeSalesforce
) -> None:
    body = [{"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}]
    salesforce.fail("composite/sobjects", 403, times=1, body=body)
    client = salesforce_client(salesforce)
    try:
        result = service.push_target(sf_synced, NOW, salesforce_target(client, FIELD))
    finally:
        client.close()
    assert result.status == "stopped" and "API request limit" in (result.error or "")
    assert result.pushed == 0 and len(salesforce.calls_to("composite/sobjects")) == 1
    assert pushed(sf_synced, "salesforce") == {}


def test_the_account_sync_reads_the_tier_field_back_so_only_differences_are_written(
    db: Database, policy: Policy, hubspot: FakeHubSpot, hubspot_client: HubSpotClient
) -> None:
    service.sync_accounts(db, policy, NOW, hubspot_client, full=True, tier_field=PROP)
    target = hubspot_target(hubspot_client, PROP)
    assert service.push_target(db, NOW, target).pushed == 250
    # A fresh start (no push recorded): the tiers the CRM already holds are read, not written again.
    with db.session() as session:
        session.execute(delete(PushedTier))
    search = hubspot.calls_to("/crm/v3/objects/companies")
    service.sync_accounts(db, policy, NOW, hubspot_client, full=True, tier_field=PROP)
    assert PROP in hubspot.calls_to("/crm/v3/objects/companies")[len(search)].query["properties"].split(",")
    assert pushed(db, "hubspot") == tiers(db, "hubspot")
    # Someone edits the field by hand in HubSpot: the next sync sees it, the push writes ours back.
    hubspot.set(3, **{PROP: "platinum-by-hand"})
    service.sync_accounts(db, policy, NOW, hubspot_client, full=True, tier_field=PROP)
    assert pushed(db, "hubspot")["3"] == "platinum-by-hand"
    calls = len(hubspot.batch_updates)
    assert service.push_target(db, NOW, target).pushed == 1
    assert len(hubspot.batch_updates) == calls + 1
    assert hubspot.batch_updates[-1] == [{"id": "3", "properties": {PROP: tiers(db, "hubspot")["3"]}}]


def test_a_batch_refused_as_a_whole_is_split_and_the_rest_written(
    synced: Database, hubspot: FakeHubSpot, hubspot_client: HubSpotClient
) -> None:
    # Company 7's tier is not an option of the HubSpot property: HubSpot refuses the whole batch (400).
    with synced.session() as session:
        session.execute(update(Account).where(Account.source_id == "7").values(tier="platinum"))
    hubspot.allowed_options[PROP] = {"enterprise", "professional", "starter"}
    target = hubspot_target(hubspot_client, PROP)
    result = service.push_target(synced, NOW, target)
    assert result.status == "ok", result.error
    assert (result.pushed, result.failures) == (249, 1)
    assert (
        result.failed[0][0] == "7"
        and "VALIDATION_ERROR Property values were not valid" in result.failed[0][1]
    )
    assert hubspot.props[8][PROP] == tiers(synced, "hubspot")["8"] and PROP not in hubspot.props.get(7, {})
    # The next push sends nothing: the refused record waits for a new tier or a day.
    calls = len(hubspot.calls)
    assert service.push_target(synced, NOW, target).skipped == 1 and len(hubspot.calls) == calls


def test_a_tier_value_cleared_by_hand_in_the_crm_is_written_again(
    db: Database, policy: Policy, hubspot: FakeHubSpot, hubspot_client: HubSpotClient
) -> None:
    service.sync_accounts(db, policy, NOW, hubspot_client, full=True, tier_field=PROP)
    target = hubspot_target(hubspot_client, PROP)
    assert service.push_target(db, NOW, target).pushed == 250
    hubspot.set(3, **{PROP: ""})
    hubspot.set(4, **{PROP: "x\x00" + "y" * 100})  # a NUL PostgreSQL would refuse, longer than the column
    service.sync_accounts(db, policy, NOW, hubspot_client, full=True, tier_field=PROP)
    assert pushed(db, "hubspot")["3"] == "" and pushed(db, "hubspot")["4"] == "x" + "y" * 63
    again = service.push_target(db, NOW, target)
    assert again.pushed == 2 and sorted(i["id"] for i in hubspot.batch_updates[-1]) == ["3", "4"]
