"""Quarterly reminders for owners the accounts name by e-mail: resolved with users.lookupByEmail (the
cache the alert jobs use) and DMed; an owner Slack does not know gets the reminder in the account's
channel, else the tier's alert channel, naming the owner; each due date is reminded once."""

from __future__ import annotations

import json

import pytest

from bot.jobs import run_job
from bot.services import Services
from bot.slack_users import USERS
from storage.db import Database
from tests.alerts.helpers import account, ticket
from tests.fake_slack import FakeSlack, validate_message
from tests.schedule.conftest import FakeClock
from tests.sla.factories import utc


@pytest.fixture
def clock(services: Services, fake_slack: FakeSlack) -> FakeClock:
    USERS.clear()
    fake_slack.users_by_email["ana@example.com"] = "UANA"
    fake = FakeClock(utc(2026, 12, 18, 8))  # 14 days before the first review date, 1 Jan 2027
    services.clock = fake
    return fake


def posts(fake: FakeSlack) -> dict[str, list[str]]:
    by_channel: dict[str, list[str]] = {}
    for call in fake.calls_to("chat.postMessage"):
        message = {"text": call.params.get("text"), "blocks": call.params["blocks"]}
        if isinstance(message["blocks"], str):
            message["blocks"] = json.loads(message["blocks"])
        validate_message(message)
        by_channel.setdefault(str(call.params["channel"]), []).append(json.dumps(message, ensure_ascii=False))
    return by_channel


def test_owners_by_email_are_dmed_or_named_in_a_channel_once(
    services: Services, clock: FakeClock, fake_slack: FakeSlack, db: Database
) -> None:
    policy = services.policy
    account(db, policy, "Acme Corp", owner="Ana@Example.com", channel=None)  # known to Slack
    account(db, policy, "Globex", owner="ana@example.com", channel=None)  # same owner: cached
    account(db, policy, "Initech", owner="bob@example.com", channel="C0INITECH")  # unknown, own channel
    account(db, policy, "Umbrella", owner="Carol Jones", channel=None)  # a name: the tier's channel
    first = run_job(services, "quarterly-reviews")
    assert [o.status for o in first.outcomes] == ["sent"] * 4
    sent = posts(fake_slack)
    assert sorted(sent) == ["#support-enterprise", "C0INITECH", "DUANA"]
    assert len(sent["DUANA"]) == 2 and all("Quarterly review:" in m for m in sent["DUANA"])
    [initech] = sent["C0INITECH"]
    assert "Quarterly review: Initech" in initech
    assert (
        "could not find the account owner, *bob@example.com*, in Slack (no Slack user has that e-mail)"
        in initech
    )
    [umbrella] = sent["#support-enterprise"]
    assert "*Carol Jones*, in Slack (a name, not a Slack user or an e-mail)" in umbrella
    # ana@ asked once for both accounts; bob@ once (a miss is cached too); a name is never asked.
    asked = [c.params["email"] for c in fake_slack.calls_to("users.lookupByEmail")]
    assert sorted(asked) == ["ana@example.com", "bob@example.com"]
    assert any("bob@example.com" in note and "C0INITECH" in note for note in first.notes)

    # Bob joins Slack: his reminder for this due date was posted in the channel, so no DM follows.
    fake_slack.users_by_email["bob@example.com"] = "UBOB"
    USERS.clear()
    clock.advance(days=1)
    assert run_job(services, "quarterly-reviews").outcomes == []
    assert "DUBOB" not in posts(fake_slack)


def test_the_alert_jobs_share_the_cache(
    services: Services, clock: FakeClock, fake_slack: FakeSlack, db: Database
) -> None:
    acme = account(db, services.policy, owner="ana@example.com", channel="C0ACME")
    run_job(services, "quarterly-reviews")
    ticket(db, "T-1", acme, utc(2026, 12, 18, 8), assignee="ana@example.com")
    clock.advance(minutes=15)  # Enterprise sev1: first response due in 30 minutes, -15m step now
    run_job(services, "sla-alerts")
    assert "<@UANA>" in posts(fake_slack)["C0ACME"][-1]
    assert len(fake_slack.calls_to("users.lookupByEmail")) == 1
