"""Unacknowledged top-tier breaches are posted again once per UNACKED_REPOST_MINUTES, until acked."""

from __future__ import annotations

import json
from datetime import timedelta

from bot.digest import acks
from bot.jobs import run_job
from bot.schedule import ledger
from bot.services import Services
from bot.views import digest_ids
from storage.db import Database
from tests.conftest import add_account
from tests.fake_slack import FakeSlack
from tests.schedule.conftest import FakeClock, add_subscription, add_ticket, utc


def reposts(fake: FakeSlack, channel: str = "CSUP") -> list[str]:
    return [
        json.dumps(c.params["blocks"])
        for c in fake.calls_to("chat.postMessage")
        if c.params["channel"] == channel
    ]


def test_repost_once_per_interval_until_acknowledged(
    services: Services, clock: FakeClock, fake_slack: FakeSlack, db: Database
) -> None:
    acct = add_account(db, services.policy, "Acme Corp", 32000)
    starter = add_account(db, services.policy, "Tiny", 100)
    add_ticket(db, "T-100", acct, "enterprise", utc(2026, 11, 23, 6))  # first response due 06:30
    add_ticket(db, "S-1", starter, "starter", utc(2026, 11, 20, 6))  # breached, but not top tier
    clock.set(utc(2026, 11, 22, 12))
    add_subscription(db, "CSUP", clock())
    add_subscription(db, "CSTARTER", clock(), tiers=("starter",))

    clock.set(utc(2026, 11, 23, 7, 0))  # breached 30 min ago: less than one interval
    run_job(services, "breach-reposts")
    assert reposts(fake_slack) == []

    clock.set(utc(2026, 11, 23, 7, 31))
    run_job(services, "breach-reposts")
    clock.set(utc(2026, 11, 23, 7, 59))
    run_job(services, "breach-reposts")
    [first] = reposts(fake_slack)
    assert "T-100" in first and "S-1" not in first
    assert "unacknowledged Enterprise SLA breach" in first
    assert digest_ids.ACK in first

    clock.set(utc(2026, 11, 23, 8, 1))  # next interval
    run_job(services, "breach-reposts")
    assert len(reposts(fake_slack)) == 2

    acks.acknowledge(db, "T-100", "UANA", clock())
    clock.set(utc(2026, 11, 23, 9, 1))
    run_job(services, "breach-reposts")
    assert len(reposts(fake_slack)) == 2
    assert reposts(fake_slack, "CSTARTER") == []
    assert {r.status for r in ledger.rows(db)} == {"sent"}
    assert [r.period for r in ledger.rows(db, "breach-reposts")] == [
        "every60m:2026-11-23T07:00+00:00",
        "every60m:2026-11-23T08:00+00:00",
    ]


def test_snoozed_breach_comes_back_after_the_snooze(
    services: Services, clock: FakeClock, fake_slack: FakeSlack, db: Database
) -> None:
    acct = add_account(db, services.policy, "Acme Corp", 32000)
    add_ticket(db, "T-200", acct, "enterprise", utc(2026, 11, 23, 1))
    clock.set(utc(2026, 11, 22, 12))
    add_subscription(db, "CSUP", clock())
    clock.set(utc(2026, 11, 23, 7, 5))
    acks.snooze(db, "T-200", "UANA", clock() + timedelta(hours=2), clock())
    for hour in (7, 8):
        clock.set(utc(2026, 11, 23, hour, 10))
        run_job(services, "breach-reposts")
    assert reposts(fake_slack) == []
    clock.set(utc(2026, 11, 23, 9, 10))
    run_job(services, "breach-reposts")
    assert len(reposts(fake_slack)) == 1


def test_dry_run_shows_the_repost_and_records_nothing(
    services: Services, clock: FakeClock, fake_slack: FakeSlack, db: Database
) -> None:
    acct = add_account(db, services.policy, "Acme Corp", 32000)
    add_ticket(db, "T-300", acct, "enterprise", utc(2026, 11, 23, 1))
    clock.set(utc(2026, 11, 22, 12))
    add_subscription(db, "CSUP", clock())
    clock.set(utc(2026, 11, 23, 7, 5))
    report = run_job(services, "breach-reposts", dry_run=True)
    assert [o.status for o in report.outcomes] == ["dry_run"]
    assert report.outcomes[0].payload is not None
    assert "T-300" in json.dumps(report.outcomes[0].payload["message"])
    assert fake_slack.calls == [] and ledger.rows(db) == []
