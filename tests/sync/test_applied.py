"""What a sync leaves besides the rows: health history for alerts, data versions for caches, text the
database can store, and tickets deleted at the helpdesk gone from the open set."""

from __future__ import annotations

import time
from datetime import timedelta

from sqlalchemy import func, select

from bot.policy.model import Policy
from bot.sync import service
from bot.sync.hubspot import HubSpotClient
from bot.sync.push import changed_tiers
from bot.sync.zendesk import ZendeskClient
from storage.db import Database
from storage.models import Account, TierChange
from storage.models.alerts import AlertDue, HealthChange
from storage.models.tickets import Ticket, TicketEvent
from storage.versions import TICKETS, read_version
from tests.fakes.hubspot import BASE_MS, FakeHubSpot
from tests.fakes.salesforce import FakeSalesforce, sf_id
from tests.fakes.zendesk import BASE_S, FakeZendesk
from tests.sync.conftest import NOW, salesforce_client


def account(db: Database, source_id: str) -> Account:
    with db.session() as session:
        found = session.scalars(select(Account).where(Account.source_id == source_id)).one()
        session.expunge(found)
        return found


def test_a_changed_health_score_is_recorded_for_health_alerts(
    db: Database, policy: Policy, hubspot: FakeHubSpot, hubspot_client: HubSpotClient
) -> None:
    service.sync_accounts(db, policy, NOW, hubspot_client, full=True)
    with db.session() as session:  # new accounts have no history, as with the CSV import
        assert session.scalar(select(func.count()).select_from(HealthChange)) == 0
    hubspot.touch([3, 4], BASE_MS + 10**9, health_score="12")
    hubspot.touch([5], BASE_MS + 10**9, name="Company five")  # health unchanged: no row
    later = NOW + timedelta(hours=1)
    assert service.sync_accounts(db, policy, later, hubspot_client, full=True).updated == 3
    with db.session() as session:
        rows = session.execute(
            select(
                HealthChange.account_id, HealthChange.old_value, HealthChange.new_value, HealthChange.at
            ).order_by(HealthChange.account_id)
        ).all()
    assert rows == [
        (account(db, "3").id, 3, 12, later),
        (account(db, "4").id, 4, 12, later),
    ]


def test_vendor_text_drops_nul_and_lone_surrogates_instead_of_failing_postgresql(
    db: Database,
    policy: Policy,
    hubspot: FakeHubSpot,
    hubspot_client: HubSpotClient,
    zendesk: FakeZendesk,
    zendesk_client: ZendeskClient,
) -> None:
    hubspot.set(7, name="Acme\x00 Corp", domain="acme\x00.example")
    hubspot.set(8, name="Beta \ud800Labs")  # JSON can carry a lone surrogate (\ud800)
    summary = service.sync_accounts(db, policy, NOW, hubspot_client, full=True)
    assert (summary.created, summary.rejected) == (250, 0)
    assert (account(db, "7").name, account(db, "7").domain) == ("Acme Corp", "acme.example")
    assert account(db, "8").name == "Beta Labs"
    zendesk.touch([9], BASE_S + 10**6, subject="Down\x00 again \udc00!")
    tickets = service.sync_tickets(db, policy, NOW, zendesk_client, "support_tier", full=True)
    assert tickets.rejects == () and tickets.error is None and tickets.created == 300, tickets
    with db.session() as session:
        assert session.get(Ticket, "9").subject == "Down again !"  # type: ignore[union-attr]


def test_a_ticket_deleted_at_the_helpdesk_leaves_the_open_set_and_the_caches(
    db: Database,
    policy: Policy,
    hubspot_client: HubSpotClient,
    zendesk: FakeZendesk,
    zendesk_client: ZendeskClient,
) -> None:
    service.sync_accounts(db, policy, NOW, hubspot_client, full=True)
    service.sync_tickets(db, policy, NOW, zendesk_client, "support_tier", full=True)
    with db.session() as session:
        assert session.get(Ticket, "1").status == "open"  # type: ignore[union-attr]
        session.add(AlertDue(ticket_id="1", target="resolution", next_step_at=NOW, updated_at=NOW))
        version = read_version(session, TICKETS)
    zendesk.touch([1, 2], BASE_S + 10**6, status="deleted")
    zendesk.touch([3], BASE_S + 10**6, status="pending")
    summary = service.sync_tickets(db, policy, NOW, zendesk_client, "support_tier")
    assert summary.status == "ok", summary.error
    assert (summary.deleted, summary.updated, summary.rejected) == (2, 1, 0)
    assert {s.source: s for s in service.sync_status(db, NOW)}["zendesk"].stats["deleted"] == 2
    with db.session() as session:
        assert session.get(Ticket, "1") is None and session.get(Ticket, "2") is None
        assert session.scalar(select(func.count()).select_from(AlertDue)) == 0  # its alerts stop
        assert (
            session.scalar(select(func.count()).select_from(TicketEvent).where(TicketEvent.ticket_id == "1"))
            == 0
        )
        assert read_version(session, TICKETS) > version  # cached cards and digests see it
    # Read again (a full run), a deleted ticket is neither re-created nor counted twice.
    again = service.sync_tickets(db, policy, NOW, zendesk_client, "support_tier", full=True)
    assert again.deleted == 0 and again.rejected == 0
    with db.session() as session:
        assert session.get(Ticket, "1") is None


def test_a_ticket_sync_that_changes_tickets_bumps_the_tickets_version(
    db: Database, policy: Policy, hubspot_client: HubSpotClient, zendesk_client: ZendeskClient
) -> None:
    service.sync_accounts(db, policy, NOW, hubspot_client, full=True)
    with db.session() as session:
        before = read_version(session, TICKETS)
    service.sync_tickets(db, policy, NOW, zendesk_client, "support_tier", full=True)
    with db.session() as session:
        after = read_version(session, TICKETS)
    assert after > before
    service.sync_tickets(db, policy, NOW, zendesk_client, "support_tier")  # nothing new
    with db.session() as session:
        assert read_version(session, TICKETS) == after


def test_an_archived_hubspot_company_marks_its_account_removed_there_and_a_restore_clears_it(
    db: Database, policy: Policy, hubspot: FakeHubSpot, hubspot_client: HubSpotClient
) -> None:
    service.sync_accounts(db, policy, NOW, hubspot_client, full=True, tier_field="support_tier")
    archived_ms = BASE_MS + 10**9
    hubspot.archive([4, 5], archived_ms)
    # The full sync read the archive list: an incremental run the same day does not, and says so.
    same_day = service.sync_accounts(db, policy, NOW + timedelta(hours=23), hubspot_client)
    assert same_day.deleted == 0 and same_day.notes[0].startswith("archived records not read")
    assert not [c for c in hubspot.calls if c.query.get("archived") == "true"][1:]
    day = NOW + timedelta(days=1)
    summary = service.sync_accounts(db, policy, day, hubspot_client, tier_field="support_tier")
    assert summary.status == "ok" and summary.deleted == 2 and not summary.notes
    gone = account(db, "4")
    assert gone.source_removed_at is not None and gone.source_removed_at.timestamp() * 1000 == archived_ms
    assert account(db, "6").source_removed_at is None
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Account)) == 250  # nothing deleted here
        assert (
            session.scalar(
                select(func.count()).select_from(TierChange).where(TierChange.account_id == gone.id)
            )
            == 1
        )
    # No tier is pushed to an archived company; marking again is a no-op.
    assert {r for r, _, _ in changed_tiers(db, "hubspot")} & {"4", "5"} == set()
    assert service.sync_accounts(db, policy, day, hubspot_client, full=True).deleted == 0
    # Restored in HubSpot (modified again): read again, the mark is cleared.
    hubspot.archived.discard(4)
    hubspot.touch([4], int(time.time() * 1000))
    again = service.sync_accounts(db, policy, NOW, hubspot_client)
    assert again.updated == 1 and account(db, "4").source_removed_at is None
    assert account(db, "5").source_removed_at is not None


def test_a_deleted_salesforce_account_is_marked_from_the_delete_log(
    db: Database, policy: Policy, salesforce: FakeSalesforce
) -> None:
    client = salesforce_client(salesforce)
    try:
        service.sync_accounts(db, policy, NOW - timedelta(days=4), client, full=True)
        deleted_at = (NOW - timedelta(days=3)).timestamp()
        salesforce.delete([7], deleted_at)
        summary = service.sync_accounts(db, policy, NOW, client)
        assert summary.status == "ok" and summary.deleted == 1
        removed = account(db, sf_id(7)).source_removed_at
        assert removed is not None and abs(removed.timestamp() - int(deleted_at)) < 1
        log = salesforce.calls_to("/sobjects/Account/deleted/")[-1]
        assert {"start", "end"} <= set(log.query)
    finally:
        client.close()
