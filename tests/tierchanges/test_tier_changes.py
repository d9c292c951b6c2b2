"""Tier-change alerts: quiet windows per account with the net change, posted once through the ledger."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.accounts import service as accounts
from bot.policy.model import Policy
from bot.services import Services
from bot.sync import service
from bot.sync.hubspot import HubSpotClient
from storage.db import Database
from storage.models import Account
from tests.fake_slack import FakeSlack
from tests.fakes.hubspot import FakeHubSpot
from tests.sync.conftest import NOW
from tests.tierchanges.helpers import due, live, posted, put, tick

ENTERPRISE = "30000"  # default policy: Enterprise from $25,000
T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
MINUTE, HOUR = timedelta(minutes=1), timedelta(hours=1)


def test_quiet_window_holds_moves_and_reports_the_net_change(
    services: Services, db: Database, policy: Policy, fake_slack: FakeSlack
) -> None:
    bot = live(services, policy)
    put(db, policy, T0 - HOUR, 10000)  # Professional, new: not a move
    assert tick(bot, T0) == []
    put(db, policy, T0 + MINUTE, 26500)  # first move: reported at the next tick
    assert tick(bot, T0 + 2 * MINUTE) == ["sent"]
    assert tick(bot, T0 + 3 * MINUTE) == []  # and only once
    [first] = posted(fake_slack)
    assert "moved from *Professional* to *Enterprise*" in first and "crossed $25,000" in first
    assert "Set override" in first and "Log a decision" in first

    put(db, policy, T0 + HOUR, 10000)  # held: inside the 24 h window that report opened
    put(db, policy, T0 + 2 * HOUR, 1000)
    assert tick(bot, T0 + 3 * HOUR) == []
    assert tick(bot, T0 + 2 * MINUTE + 24 * HOUR - MINUTE) == []  # a minute before the window ends
    end = T0 + 2 * MINUTE + 24 * HOUR
    assert tick(bot, end) == ["sent"]
    assert tick(bot, end + MINUTE) == []
    second = posted(fake_slack)[1]
    assert "moved from *Enterprise* to *Starter*" in second and "net of 2 changes" in second
    assert "ACV $26,500 → $1,000 fell below $5,000" in second  # the netted delta

    put(db, policy, end + HOUR, 26500)  # there and back within the next window: nothing to say
    put(db, policy, end + 2 * HOUR, 1000)
    assert tick(bot, end + 25 * HOUR) == []
    put(db, policy, end + 26 * HOUR, 10000)  # window over: a first move again, reported at once
    assert tick(bot, end + 26 * HOUR + MINUTE) == ["sent"]
    assert "moved from *Starter* to *Professional*" in posted(fake_slack)[2]
    put(db, policy, end + 27 * HOUR, 1000)  # undone within its window: "back to" when it ends
    assert tick(bot, end + 27 * HOUR) == []
    assert tick(bot, end + 51 * HOUR) == ["sent"]
    back = posted(fake_slack)[3]
    assert "*Acme Corp* is back to *Starter* (from *Professional*)" in back
    assert len(posted(fake_slack)) == 4


def test_two_schedulers_and_a_restart_post_once(
    services: Services, db: Database, policy: Policy, fake_slack: FakeSlack
) -> None:
    put(db, policy, T0 - HOUR, 10000)
    put(db, policy, T0, 26500)
    one, other = live(services, policy), live(services, policy)  # two processes, one database
    assert tick(one, T0 + MINUTE) == ["sent"]
    assert tick(other, T0 + MINUTE) == [] and tick(other, T0 + 2 * MINUTE) == []
    assert len(posted(fake_slack)) == 1


def test_a_crash_after_the_claim_is_posted_by_the_next_tick(
    services: Services, db: Database, policy: Policy, fake_slack: FakeSlack
) -> None:
    put(db, policy, T0 - HOUR, 10000)
    put(db, policy, T0, 26500)
    bot = live(services, policy)
    fake_slack.fail("chat.postMessage", 500, times=1)
    assert tick(bot, T0 + MINUTE) == ["pending"]
    assert tick(bot, T0 + 10 * MINUTE) == ["sent"]  # the ledger's retry, same key
    assert tick(bot, T0 + 20 * MINUTE) == []
    calls = fake_slack.calls_to("chat.postMessage")  # the refused attempt and the one that landed
    assert len(calls) == 2 and calls[0].params["metadata"] == calls[1].params["metadata"]


def test_a_sync_move_is_reported_and_a_back_and_forth_before_the_tick_is_not(
    services: Services, policy: Policy, fake_slack: FakeSlack
) -> None:
    fake = FakeHubSpot(companies=20).start()
    client = HubSpotClient(fake.token, fake.url)
    try:
        assert (
            service.sync_accounts(services.db, policy, NOW - timedelta(hours=2), client, full=True).created
            == 20
        )
        assert due(services.db, policy, NOW) == []  # new accounts are not moves
        ms = int(time.time() * 1000)  # after the full sync's mark, which is the CRM's clock
        fake.touch([1, 2], ms + 1000, acv=ENTERPRISE)
        service.sync_accounts(services.db, policy, NOW - timedelta(minutes=50), client)
        fake.touch([2], ms + 2000, acv=str(2 * 7919))  # and back again
        service.sync_accounts(services.db, policy, NOW - timedelta(minutes=20), client)
        alerts = due(services.db, policy, NOW)
        assert [(a.name, a.to_name, a.cause) for a in alerts] == [("Company 1", "Enterprise", "sync")]
        assert [(d.change, d.threshold) for d in alerts[0].deltas] == [("acv", "25000.00")]
        bot = live(services, policy)
        for _ in range(2):
            tick(bot, NOW)
        [text] = posted(fake_slack)
        assert "Company 1" in text and "to *Enterprise*" in text and "a CRM sync" in text
    finally:
        client.close()
        fake.stop()


def test_no_channel_no_posts(services: Services, fake_slack: FakeSlack) -> None:
    assert tick(services, NOW) == []
    assert fake_slack.calls_to("chat.postMessage") == []


def test_an_override_set_from_an_alert_is_reported_at_once_and_once(
    services: Services, db: Database, policy: Policy, fake_slack: FakeSlack
) -> None:
    put(db, policy, T0 - HOUR, 10000)
    put(db, policy, T0, 26500)
    bot, other = live(services, policy), live(services, policy)
    assert tick(bot, T0 + MINUTE) == ["sent"]  # Professional -> Enterprise: the window opens
    put(db, policy, T0 + HOUR, 24000)  # a sync moves it back: held by the window
    with db.session() as session:
        acme = session.scalars(select(Account.id)).one()
    done = accounts.set_override_on(
        db, bot.accounts, policy, acme, "enterprise", "renewal", "UADMIN", True, T0 + 2 * HOUR
    )  # the admin pins it from the alert's modal
    assert isinstance(done, accounts.OverrideSet)
    # Already Enterprise in the channel, so nothing to post; the held sync move is accounted for.
    assert tick(bot, T0 + 2 * HOUR + MINUTE) == []
    accounts.clear_override(db, bot.accounts, policy, "Acme Corp", "UADMIN", T0 + 3 * HOUR)
    accounts.set_override_on(
        db, bot.accounts, policy, acme, "starter", "winding down", "UADMIN", True, T0 + 4 * HOUR
    )
    assert tick(bot, T0 + 4 * HOUR + MINUTE) == ["sent"]  # inside the window, and not held by it
    assert tick(bot, T0 + 4 * HOUR + 2 * MINUTE) == [] and tick(other, T0 + 5 * HOUR) == []
    assert tick(bot, T0 + 30 * HOUR) == []  # nor reported again when the window ends
    _, second = posted(fake_slack)
    assert "moved from *Enterprise* to *Starter*" in second and "net of 2 changes" in second
    assert "override to Starter set by <@UADMIN>: “winding down”" in second
    assert "crossed" not in second and "fell below" not in second


def test_a_sync_move_alone_is_still_held(
    services: Services, db: Database, policy: Policy, fake_slack: FakeSlack
) -> None:
    put(db, policy, T0 - HOUR, 10000)
    put(db, policy, T0, 26500)
    bot = live(services, policy)
    assert tick(bot, T0 + MINUTE) == ["sent"]
    put(db, policy, T0 + HOUR, 1000)
    assert tick(bot, T0 + 2 * HOUR) == []
    assert tick(bot, T0 + MINUTE + 24 * HOUR) == ["sent"]
