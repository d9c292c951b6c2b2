"""Tier-change alerts: net change per account and quiet period, posted once through the ledger."""

from __future__ import annotations

import time
from datetime import timedelta

from bot.jobs.tierchanges import run_tier_changes
from bot.policy.model import Policy
from bot.schedule.context import JobContext, make_poster
from bot.services import Services
from bot.sync import service
from bot.sync.hubspot import HubSpotClient
from bot.tierchanges.service import period_start, tier_change_alerts
from tests.fake_slack import FakeSlack, validate_message
from tests.fakes.hubspot import FakeHubSpot
from tests.sync.conftest import NOW

ENTERPRISE = "30000"  # default policy: Enterprise from $25,000


def synced(services: Services, policy: Policy) -> tuple[FakeHubSpot, HubSpotClient]:
    fake = FakeHubSpot(companies=20).start()
    client = HubSpotClient(fake.token, fake.url)
    assert (
        service.sync_accounts(services.db, policy, NOW - timedelta(hours=2), client, full=True).created == 20
    )
    return fake, client


def test_a_move_is_posted_once_with_the_rule_and_a_back_and_forth_is_not(
    services: Services, policy: Policy, fake_slack: FakeSlack
) -> None:
    fake, client = synced(services, policy)
    try:
        with services.db.session() as session:
            assert tier_change_alerts(session, policy, NOW, 24) == []  # new accounts are not moves
        ms = int(time.time() * 1000)  # after the full sync's mark, which is the CRM's clock
        fake.touch([1, 2], ms + 1000, acv=ENTERPRISE)
        service.sync_accounts(services.db, policy, NOW - timedelta(minutes=50), client)
        fake.touch([2], ms + 2000, acv=str(2 * 7919))  # and back again
        service.sync_accounts(services.db, policy, NOW - timedelta(minutes=20), client)
        with services.db.session() as session:
            alerts = tier_change_alerts(session, policy, NOW, 24)
        assert [(a.name, a.to_name, a.cause) for a in alerts] == [("Company 1", "Enterprise", "sync")]
        assert alerts[0].period == period_start(NOW, 24).isoformat()

        settings = services.settings.model_copy(update={"tier_changes_channel": "CTIERS"})
        live = Services(settings=settings, db=services.db, policy=policy, version_ttl=0.0)
        for _ in range(2):
            ctx = JobContext(live, make_poster(live), NOW)
            run_tier_changes(ctx)
        posts = fake_slack.calls_to("chat.postMessage")
        assert len(posts) == 1 and posts[0].params["channel"] == "CTIERS"
        validate_message(posts[0].params)
        text = str(posts[0].params["blocks"])
        assert "Company 1" in text and "to *Enterprise*" in text and "Log a decision" in text
        assert "a CRM sync" in text
    finally:
        client.close()
        fake.stop()


def test_no_channel_no_posts(services: Services, policy: Policy, fake_slack: FakeSlack) -> None:
    ctx = JobContext(services, make_poster(services), NOW)
    run_tier_changes(ctx)
    assert fake_slack.calls_to("chat.postMessage") == []
