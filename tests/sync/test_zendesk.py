"""Zendesk against the fake: organizations linked to accounts, tickets with metric sets, tier pushes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from bot.policy.model import Policy
from bot.sync import service, state
from bot.sync.errors import SyncBusy
from bot.sync.hubspot import HubSpotClient
from bot.sync.zendesk import ZendeskClient
from storage.db import Database
from storage.models import Account
from storage.models.sync import PushedTier, SyncLink
from storage.models.tickets import Ticket, TicketEvent
from tests.fakes.hubspot import FakeHubSpot
from tests.fakes.zendesk import BASE_S, FakeZendesk
from tests.sync.conftest import NOW


@pytest.fixture
def crm(db: Database, policy: Policy, hubspot_client: HubSpotClient) -> Database:
    assert service.sync_accounts(db, policy, NOW, hubspot_client, full=True).created == 250
    return db


def rows(db: Database, model: type) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_tickets_land_on_the_accounts_of_their_organizations(
    crm: Database, policy: Policy, zendesk: FakeZendesk, zendesk_client: ZendeskClient
) -> None:
    summary = service.sync_tickets(crm, policy, NOW, zendesk_client, "support_tier", full=True)
    assert summary.status == "ok", summary.error
    assert (summary.created, summary.rejected) == (300, 0)
    assert rows(crm, SyncLink) == 40  # 36 by external_id, 4 (every 10th) by domain
    with crm.session() as session:
        org10 = session.get(SyncLink, ("zendesk-orgs", "10"))
        assert org10 is not None and session.get(Account, org10.account_id).source_id == "10"  # type: ignore[union-attr]
        t = session.get(Ticket, "7")
        assert (
            t is not None
            and t.account_id == session.scalars(select(Account.id).where(Account.source_id == "8")).one()
        )
        assert t.first_response_at == t.created_at + timedelta(minutes=30 + 7 % 90)
        assert (t.status, t.severity, t.agent_replies) == ("open", "sev3", 2)
        solved = session.get(Ticket, "4")
        assert solved is not None and solved.status == "solved" and solved.solved_at is not None
        assert solved.resolution_minutes == 50
    assert zendesk.calls_to("cursor.json")[0].query == {"include": "metric_sets", "start_time": "0"}


def test_unlinked_organizations_and_their_tickets_are_rejected(
    db: Database, policy: Policy, zendesk: FakeZendesk, zendesk_client: ZendeskClient
) -> None:
    summary = service.sync_tickets(db, policy, NOW, zendesk_client, "support_tier", full=True)
    assert summary.created == 0 and summary.rejected == 300
    assert "not linked to an account" in summary.rejects[0].reason
    status = {s.source: s for s in service.sync_status(db, NOW)}
    assert "matches no account" in status["zendesk-orgs"].rejects[0].reason


def test_incremental_reads_from_the_stored_cursor_and_records_status_changes(
    crm: Database, policy: Policy, zendesk: FakeZendesk, zendesk_client: ZendeskClient
) -> None:
    service.sync_tickets(crm, policy, NOW, zendesk_client, "support_tier", full=True)
    zendesk.touch([1, 2, 3], BASE_S + 10**6, status="pending")
    zendesk.calls.clear()
    summary = service.sync_tickets(crm, policy, NOW, zendesk_client, "support_tier")
    assert (summary.created, summary.updated, summary.unchanged) == (0, 2, 1)  # 3 was pending already
    assert "cursor" in zendesk.calls_to("cursor.json")[0].query
    assert rows(crm, TicketEvent) == 2


def test_rate_limit_retry_after_is_honoured_or_stops_the_run(
    crm: Database, policy: Policy, zendesk: FakeZendesk, zendesk_client: ZendeskClient
) -> None:
    zendesk.fail(
        "cursor.json", 429, times=1, body={"error": "APIRateLimitExceeded"}, headers={"Retry-After": "1"}
    )
    assert service.sync_tickets(crm, policy, NOW, zendesk_client, "support_tier", full=True).created == 300
    zendesk.fail("cursor.json", 429, times=1, headers={"Retry-After": "3600"})
    stopped = service.sync_tickets(crm, policy, NOW, zendesk_client, "support_tier")
    assert stopped.status == "stopped" and "3600" in (stopped.error or "")


def test_a_bad_token_names_the_settings(db: Database, policy: Policy, zendesk: FakeZendesk) -> None:
    client = ZendeskClient(zendesk.url, "agent@example.com", "wrong-secret")
    summary = service.sync_tickets(db, policy, NOW, client, "support_tier", full=True)
    assert summary.status == "stopped" and "ZENDESK_EMAIL / ZENDESK_API_TOKEN" in (summary.error or "")
    assert "wrong-secret" not in (summary.error or "") and len(zendesk.calls) == 1


def test_push_tiers_writes_changed_tiers_only_in_batches_of_100(
    db: Database, policy: Policy, hubspot: FakeHubSpot, hubspot_client: HubSpotClient
) -> None:
    fake = FakeZendesk(tickets=0, orgs=250).start()
    client = ZendeskClient(fake.url, "agent@example.com", "zd-token", poll_seconds=0.0)
    try:
        service.sync_accounts(db, policy, NOW, hubspot_client, full=True)
        fake.org_fields[1] = {"support_tier": "__keep__"}
        service.sync_tickets(db, policy, NOW, client, "support_tier", full=True)
        with db.session() as session:
            tier1 = session.scalars(select(Account.tier).where(Account.source_id == "1")).one()
            session.execute(
                update(PushedTier)
                .where(PushedTier.remote_id == "2")
                .values(tier=tier1 if tier1 != "x" else "y")
            )
        first = service.push_tiers(db, NOW, client, "support_tier")
        assert first.status == "ok" and first.failed == ()
        assert [len(u) for u in fake.updates] == [100, 100, 50]
        assert first.pushed == 250 and rows(db, PushedTier) == 250
        assert fake.jobs and all(j["status"] == "completed" for j in fake.jobs.values())
        with db.session() as session:
            tier7 = session.scalars(select(Account.tier).where(Account.source_id == "7")).one()
        assert fake.org_fields[7]["support_tier"] == tier7
        again = service.push_tiers(db, NOW, client, "support_tier")
        assert again.pushed == 0 and len(fake.updates) == 3
        with db.session() as session:
            session.execute(update(Account).where(Account.source_id == "9").values(tier="enterprise"))
        third = service.push_tiers(db, NOW, client, "support_tier")
        assert third.pushed == 1 and fake.updates[-1] == [
            {"id": 9, "organization_fields": {"support_tier": "enterprise"}}
        ]
    finally:
        client.close()
        fake.stop()


def test_a_second_run_of_a_source_refuses_while_one_holds_the_lease(
    crm: Database, policy: Policy, zendesk_client: ZendeskClient
) -> None:
    assert state.acquire(crm, "zendesk-orgs", "other-host:1:abc", NOW) is None
    with pytest.raises(SyncBusy, match="another sync of zendesk-orgs is running: other-host:1:abc"):
        service.sync_tickets(crm, policy, NOW, zendesk_client, "support_tier")
    # A lease that was not renewed expires: a crashed run does not block the source for ever.
    later = NOW + state.LEASE + timedelta(seconds=1)
    assert service.sync_tickets(crm, policy, later, zendesk_client, "support_tier").status == "ok"
