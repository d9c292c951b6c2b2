"""Salesforce account sync against the fake: query paging, resume by key, tokens, request limits."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.policy.model import Policy
from bot.sync import service
from bot.sync.salesforce import SalesforceClient
from storage.db import Database
from storage.models import Account
from tests.fakes.salesforce import BASE_S, FakeSalesforce, sf_id
from tests.sync.conftest import NOW, salesforce_client


def accounts(db: Database) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(Account)) or 0


def test_full_then_incremental_follows_next_records_url(
    db: Database, policy: Policy, salesforce: FakeSalesforce
) -> None:
    client = salesforce_client(salesforce)
    summary = service.sync_accounts(db, policy, NOW, client, full=True)
    assert summary.status == "ok", summary.error
    assert summary.created == 450 and len(salesforce.calls_to("/query")) == 3  # 200 + 200 + 50
    assert salesforce.calls_to("/query")[1].path.startswith("/services/data/v62.0/query/01g")
    with db.session() as session:
        a = session.scalars(select(Account).where(Account.source_id == sf_id(8))).one()
        assert (a.source, a.domain, a.usage_criticality, a.external_id) == (
            "salesforce",
            "www.a8.example",
            "low",
            sf_id(8),
        )
    assert client.api_usage and client.api_usage.startswith("api-usage=")
    salesforce.touch([10, 20, 30], BASE_S + 10_000, ACV__c=99000.0)
    salesforce.calls.clear()
    again = service.sync_accounts(db, policy, NOW, client)
    assert (again.created, again.updated, again.records) == (0, 3, 3)
    soql = salesforce.calls_to("/query")[0].query["q"]
    assert "WHERE SystemModstamp > " in soql and "ORDER BY SystemModstamp ASC, Id ASC" in soql


def test_an_expired_session_is_refreshed_once(
    db: Database, policy: Policy, salesforce: FakeSalesforce
) -> None:
    client = salesforce_client(salesforce)
    service.sync_accounts(db, policy, NOW, client, full=True)
    salesforce.expire_tokens()
    salesforce.touch([5], BASE_S + 10_000, Name="Renamed")
    summary = service.sync_accounts(db, policy, NOW, client)
    assert summary.status == "ok" and summary.updated == 1
    assert len(salesforce.calls_to("/oauth2/token")) == 2


def test_a_revoked_token_is_one_clear_error(db: Database, policy: Policy, salesforce: FakeSalesforce) -> None:
    given = SalesforceClient(salesforce.url, access_token="00D!revoked-secret")
    summary = service.sync_accounts(db, policy, NOW, given, full=True)
    assert summary.status == "stopped"
    assert "SALESFORCE_ACCESS_TOKEN" in (summary.error or "") and "INVALID_SESSION_ID" in (
        summary.error or ""
    )
    assert "revoked-secret" not in (summary.error or "") and len(salesforce.calls) == 1
    wrong = salesforce_client(salesforce, client_secret="wrong")
    refused = service.sync_accounts(db, policy, NOW, wrong, full=True)
    assert "SALESFORCE_CLIENT_ID / SALESFORCE_CLIENT_SECRET" in (refused.error or "")


def test_request_limit_exceeded_stops_without_retrying(
    db: Database, policy: Policy, salesforce: FakeSalesforce
) -> None:
    client = salesforce_client(salesforce)
    body = [{"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}]
    salesforce.fail("/query", 403, times=5, body=body, headers={"Sforce-Limit-Info": "api-usage=15000/15000"})
    summary = service.sync_accounts(db, policy, NOW, client, full=True)
    assert summary.status == "stopped" and "request limit" in (summary.error or "")
    assert len(salesforce.calls_to("/query")) == 1


def test_a_stop_between_pages_resumes_by_key(
    db: Database, policy: Policy, salesforce: FakeSalesforce
) -> None:
    client = salesforce_client(salesforce)
    salesforce.fail("/query/01g", 500, times=5)  # the second page never comes
    first = service.sync_accounts(db, policy, NOW, client, full=True)
    assert first.status == "stopped" and first.created == 200 and accounts(db) == 200
    second = service.sync_accounts(db, policy, NOW, client)
    assert second.status == "ok" and second.created == 250 and accounts(db) == 450
    assert (
        f"Id > '{sf_id(200)}'" in [c.query["q"] for c in salesforce.calls_to("/query") if "q" in c.query][-1]
    )
