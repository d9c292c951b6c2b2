"""The scheduled sync jobs: configured sources only, once per SYNC_INTERVAL_MINUTES, busy sources skipped."""

from __future__ import annotations

import time
from datetime import timedelta
from types import SimpleNamespace

from sqlalchemy import func, select

from bot.config import Settings
from bot.jobs import sync as jobs
from bot.policy.model import Policy
from bot.schedule.context import JobContext
from bot.services import Services
from bot.sync import service, state
from storage.db import Database
from storage.models import Account
from storage.models.tickets import Ticket
from tests.fakes.hubspot import FakeHubSpot
from tests.fakes.zendesk import FakeZendesk
from tests.sync.conftest import NOW


def make_services(db: Database, policy: Policy, hubspot: FakeHubSpot, zendesk: FakeZendesk) -> Services:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=db.url,
        hubspot_token=hubspot.token,  # type: ignore[arg-type]
        hubspot_api_url=hubspot.url,
        zendesk_api_url=zendesk.url,
        zendesk_email="agent@example.com",
        zendesk_api_token="zd-token",  # type: ignore[arg-type]
        sync_interval_minutes=15,
    )
    return Services(settings=settings, db=db, policy=policy, version_ttl=0.0)


def run(services: Services, job: object, at: object = NOW) -> JobContext:
    ctx = JobContext(services, SimpleNamespace(dry_run=False), at)  # type: ignore[arg-type]
    job(ctx)  # type: ignore[operator]
    return ctx


def test_jobs_sync_each_configured_source_once_per_interval(
    db: Database, policy: Policy, hubspot: FakeHubSpot, zendesk: FakeZendesk
) -> None:
    services = make_services(db, policy, hubspot, zendesk)
    ctx = run(services, jobs.run_sync_accounts)
    assert ctx.notes[0].startswith("hubspot: 250 created")
    assert ctx.notes[1:] == ["push-tiers zendesk: 0 written, 0 failed"]  # no organization linked yet
    assert run(services, jobs.run_sync_tickets).notes[0].startswith("zendesk: 300 created")
    # The organizations linked since the last push make it due before the interval.
    assert run(services, jobs.run_push_tiers).notes == ["push-tiers zendesk: 40 written, 0 failed"]
    # Within the interval nothing runs again; after it, the incremental run finds nothing new.
    assert run(services, jobs.run_sync_accounts, NOW + timedelta(minutes=5)).notes == []
    later = run(services, jobs.run_sync_accounts, NOW + timedelta(minutes=15))
    assert later.notes[0].startswith("hubspot: 0 created, 0 updated, 0 unchanged")
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Account)) == 250
        assert session.scalar(select(func.count()).select_from(Ticket)) == 300
    assert {s.name for s in jobs.JOBS} == {"sync-accounts", "sync-tickets", "push-tiers"}


def test_a_source_a_manual_run_holds_is_skipped_with_a_note(
    db: Database, policy: Policy, hubspot: FakeHubSpot, zendesk: FakeZendesk
) -> None:
    services = make_services(db, policy, hubspot, zendesk)
    assert state.acquire(db, "hubspot", "cli:42:abc", NOW) is None
    state.finish(db, "hubspot", NOW - timedelta(hours=1), records=0, seconds=0, stats={}, error=None)
    with db.session() as session:
        session.get(state.SyncState, "hubspot").last_started_at = NOW - timedelta(hours=1)  # type: ignore[union-attr]
    ctx = run(services, jobs.run_sync_accounts)
    assert ctx.notes == [
        "hubspot: skipped, another sync of hubspot is running: cli:42:abc (until 12:10:00 UTC); try again when it ends"
    ]


def test_each_scheduled_account_sync_pushes_tiers_to_every_target(
    db: Database, policy: Policy, hubspot: FakeHubSpot, zendesk: FakeZendesk
) -> None:
    services = make_services(db, policy, hubspot, zendesk)
    services.settings.hubspot_tier_property = "support_tier"
    run(services, jobs.run_sync_tickets)  # organizations find no account yet
    ctx = run(services, jobs.run_sync_accounts)
    assert ctx.notes[1:] == [
        "push-tiers zendesk: 0 written, 0 failed",
        "push-tiers hubspot: 250 written, 0 failed",
    ]
    assert [len(b) for b in hubspot.batch_updates] == [100, 100, 50]
    status = {s.source: s for s in service.sync_status(db, NOW)}
    assert status["push-hubspot"].last_success_at == NOW and status["push-hubspot"].stats["updated"] == 250
    # The push-tiers job of the same tick finds nothing left to write; none is written twice.
    assert run(services, jobs.run_push_tiers).notes == [
        "push-tiers zendesk: 0 written, 0 failed",
        "push-tiers hubspot: 0 written, 0 failed",
    ]
    # A company changes at the next interval: its sync pushes the new tier at once, alone.
    tier_of = select(Account.tier).where(Account.source_id == "50")
    with db.session() as session:
        before = session.scalars(tier_of).one()
    hubspot.touch([50], int(time.time() * 1000), acv="0", usage_criticality="low", strategic="false")
    ctx = run(services, jobs.run_sync_accounts, NOW + timedelta(minutes=15))
    with db.session() as session:
        after = session.scalars(tier_of).one()
    assert after != before and "push-tiers hubspot: 1 written, 0 failed" in ctx.notes
    assert hubspot.batch_updates[-1] == [{"id": "50", "properties": {"support_tier": after}}]


def test_a_refused_record_is_named_in_the_job_note(
    db: Database, policy: Policy, hubspot: FakeHubSpot, zendesk: FakeZendesk
) -> None:
    services = make_services(db, policy, hubspot, zendesk)
    run(services, jobs.run_sync_accounts)
    services.settings.hubspot_tier_property = "support_tier"
    hubspot.archived = {3}  # archived after the sync read it
    notes = run(services, jobs.run_push_tiers).notes
    assert notes[-1].startswith("push-tiers hubspot: 249 written, 1 failed (3: OBJECT_NOT_FOUND: ")


def test_no_push_to_a_crm_whose_sync_stopped_on_its_credentials(
    db: Database, policy: Policy, hubspot: FakeHubSpot, zendesk: FakeZendesk
) -> None:
    services = make_services(db, policy, hubspot, zendesk)
    services.settings.hubspot_tier_property = "support_tier"
    hubspot.token = "rotated"  # the configured token is revoked: every call answers 401
    ctx = run(services, jobs.run_sync_accounts)
    assert "authentication failed" in ctx.notes[0] and "HUBSPOT_TOKEN" in ctx.notes[0]
    assert "push-tiers hubspot: skipped, its sync stopped on its credentials" in ctx.notes
    assert "push-tiers zendesk: 0 written, 0 failed" in ctx.notes  # the other targets are pushed
    assert len(hubspot.calls) == 1 and hubspot.batch_updates == []  # one 401, not a second one
