"""The alert jobs over the local Slack fake: the ladder posted once per step, acknowledged over signed
HTTP, 429 and 500 from Slack, two scheduler processes, escalations, a health drop once."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime

from freezegun import freeze_time

from bot.alerts import service
from bot.jobs import run_job
from bot.schedule import ledger
from bot.services import Services
from bot.views import alert_ids
from storage.db import Database
from tests.alerts.helpers import account, ticket
from tests.fake_slack import FakeSlack, eventually, validate_message
from tests.schedule.conftest import FakeClock
from tests.slack_http import SlackHTTP


def utc(day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, second, tzinfo=UTC)


def posts(fake: FakeSlack, channel: str = "CACME") -> list[dict[str, object]]:
    return [c.params for c in fake.calls_to("chat.postMessage") if c.params["channel"] == channel]


def text_of(params: dict[str, object]) -> str:
    return json.dumps(params["blocks"]) if "blocks" in params else ""


def run_minutes(services: Services, clock: FakeClock, job: str, start: datetime, end: datetime) -> None:
    clock.set(start)
    while clock() <= end:
        run_job(services, job)
        clock.advance(minutes=1)


def test_the_ladder_posts_each_step_once_with_assignee_and_owner(
    services: Services, clock: FakeClock, fake_slack: FakeSlack, db: Database
) -> None:
    acme = account(db, services.policy)
    ticket(db, "T-1", acme, utc(23, 10))
    run_minutes(services, clock, "sla-alerts", utc(23, 10), utc(23, 11, 5))
    run_minutes(services, clock, "sla-alerts", utc(23, 11), utc(23, 11, 2))  # again: nothing new
    sent = posts(fake_slack)
    assert len(sent) == 3  # response -15m, 0, +30m
    first, breach, over = (text_of(p) for p in sent)
    assert "due in *15m*" in first and "<@UANA>" in first and "Account owner" not in first
    assert "is due *now*" in breach and "<@UOWNER>" in breach and alert_ids.ACK in breach
    assert "*30m over*" in over
    assert len(fake_slack.calls_to("users.lookupByEmail")) == 1  # cached
    assert [r.period for r in ledger.rows(db, "sla-alerts")] == [
        "T-1:first_response:-15m",
        "T-1:first_response:0",
        "T-1:first_response:+30m",
    ]


def test_acknowledge_over_signed_http_updates_the_message_and_stops_the_ladder(
    services: Services, clock: FakeClock, fake_slack: FakeSlack, db: Database, slack: SlackHTTP
) -> None:
    acme = account(db, services.policy)
    ticket(db, "T-2", acme, utc(23, 10))
    clock.set(utc(23, 10, 30))
    run_job(services, "sla-alerts")
    [breach] = posts(fake_slack)
    blocks = breach["blocks"]
    payload = {
        "type": "block_actions",
        "user": {"id": "UANA", "username": "ana", "team_id": "T1"},
        "channel": {"id": "CACME", "name": "acme"},
        "container": {"type": "message", "message_ts": "1700000000.000001", "channel_id": "CACME"},
        "message": {"ts": "1700000000.000001", "text": breach["text"], "blocks": blocks},
        "response_url": slack.response_url,
        "trigger_id": "t1",
        "actions": [
            {
                "type": "button",
                "action_id": alert_ids.ACK,
                "block_id": "b",
                "value": "T-2|first_response",
                "action_ts": "1",
            }
        ],
    }
    assert slack.interaction(payload).status_code == 200
    [update] = eventually(lambda: fake_slack.responses)
    validate_message(update)
    assert update["replace_original"] is True
    assert "Acknowledged by <@UANA>" in json.dumps(update["blocks"])
    assert alert_ids.ACK not in json.dumps(update["blocks"])
    clock.set(utc(23, 11, 30))
    run_job(services, "sla-alerts")
    run_job(services, "escalations")
    assert len(posts(fake_slack)) == 1
    with db.session() as session:
        [acked] = service.history(session, "T-2").acks
    assert (acked.target, acked.acked_by) == ("first_response", "UANA")


def test_429_waits_for_retry_after_and_500_backs_off_and_each_posts_once(
    services: Services, clock: FakeClock, fake_slack: FakeSlack, db: Database
) -> None:
    acme = account(db, services.policy)
    ticket(db, "T-3", acme, utc(23, 10))
    fake_slack.fail("chat.postMessage", 429, retry_after=30)
    clock.set(utc(23, 10, 15))
    [outcome] = run_job(services, "sla-alerts").outcomes
    assert outcome.status == "pending"
    clock.set(utc(23, 10, 15, 20))
    assert run_job(services, "sla-alerts").outcomes == []  # Retry-After has not passed
    clock.set(utc(23, 10, 15, 31))
    assert [o.status for o in run_job(services, "sla-alerts").outcomes] == ["sent"]

    fake_slack.fail("chat.postMessage", 500, times=2)
    clock.set(utc(23, 10, 30))
    assert [o.status for o in run_job(services, "sla-alerts").outcomes] == ["pending"]
    clock.set(utc(23, 10, 30, 31))  # first back-off: 30 s
    assert [o.status for o in run_job(services, "sla-alerts").outcomes] == ["pending"]
    clock.set(utc(23, 10, 31, 32))  # second: 60 s
    assert [o.status for o in run_job(services, "sla-alerts").outcomes] == ["sent"]
    keys = [p["metadata"]["event_payload"]["delivery"].rpartition(":")[2] for p in posts(fake_slack)]  # type: ignore[index]
    assert keys == ["-15m", "-15m", "0", "0", "0"]  # 429 then sent; 500, 500, sent
    assert [r.status for r in ledger.rows(db, "sla-alerts")] == ["sent", "sent"]


def test_two_scheduler_processes_post_each_step_once(
    services: Services, clock: FakeClock, fake_slack: FakeSlack, db: Database
) -> None:
    acme = account(db, services.policy)
    for n in range(5):
        ticket(db, f"T-{n}", acme, utc(23, 10))
    other = Services(settings=services.settings, db=Database(db.url), policy=services.policy, clock=clock)
    for minute in (15, 30, 31):
        clock.set(utc(23, 10, minute))
        threads = [threading.Thread(target=run_job, args=(s, "sla-alerts")) for s in (services, other)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        # Whichever process lost a race posts nothing; the next tick finds every step handled.
        run_job(services, "sla-alerts")
    other.db.dispose()
    periods = [json.dumps(p["metadata"]) for p in posts(fake_slack)]
    assert len(periods) == len(set(periods)) == 10  # 5 tickets x (-15m, 0)


def test_escalation_levels_notify_the_group_then_the_channel(
    services: Services, clock: FakeClock, fake_slack: FakeSlack, db: Database
) -> None:
    acme = account(db, services.policy)
    ticket(db, "T-4", acme, utc(23, 10))  # breach 10:30; L1 10:45 (group), L2 11:30 (#support-escalations)
    run_minutes(services, clock, "escalations", utc(23, 10, 40), utc(23, 11, 35))
    [level1] = posts(fake_slack)
    assert "<!subteam^S0SUPLEADS>" in text_of(level1) and "Escalation level 1" in text_of(level1)
    [level2] = posts(fake_slack, "#support-escalations")
    assert "Escalation level 2" in text_of(level2)


def test_a_step_posted_after_downtime_says_it_is_late(
    services: Services, clock: FakeClock, fake_slack: FakeSlack, db: Database
) -> None:
    acme = account(db, services.policy)
    ticket(db, "T-5", acme, utc(23, 10))
    clock.set(utc(23, 10, 40))  # -15m (10:15) and 0 (10:30) came due while nothing ran
    report = run_job(services, "sla-alerts")
    [late] = posts(fake_slack)
    assert "Posted 10m late" in text_of(late)
    assert any("superseded" in note for note in report.notes)


def test_a_health_drop_alerts_the_owner_and_the_channel_once(
    services: Services, fake_slack: FakeSlack, db: Database
) -> None:
    acme = account(db, services.policy, health=80)

    def change(old: int, new: int, at: datetime) -> None:
        with db.session() as session:
            service.record_health_change(session, acme, old, new, at)

    with freeze_time("2026-11-23 10:00:00"):  # services.clock is the system clock, frozen
        change(80, 70, datetime(2026, 11, 10, tzinfo=UTC))
        run_job(services, "health-alerts")
        assert posts(fake_slack) == []  # 10 points: not a drop
        change(70, 62, datetime(2026, 11, 20, tzinfo=UTC))  # 18 below the 80 of 13 days before
        for _ in range(3):
            run_job(services, "health-alerts")
        change(62, 58, datetime(2026, 11, 22, tzinfo=UTC))  # the same drop, falling further
        run_job(services, "health-alerts")
    [post] = posts(fake_slack)
    assert "fell from 80 to *62*" in text_of(post) or "to *58*" in text_of(post)
    [dm] = posts(fake_slack, "DUOWNER")
    assert dm["text"] == post["text"]
    with freeze_time("2026-11-28 10:00:00"):
        change(58, 85, datetime(2026, 11, 25, tzinfo=UTC))  # recovered
        change(85, 35, datetime(2026, 11, 28, 9, tzinfo=UTC))  # a new drop, below the floor too
        run_job(services, "health-alerts")
        run_job(services, "health-alerts")
    assert len(posts(fake_slack)) == 2
    assert "below the floor of 40" in text_of(posts(fake_slack)[1]) or "fell from 85" in text_of(
        posts(fake_slack)[1]
    )
