"""The `digests` job end to end against the Slack fake: timing in the channel's zone, exactly-once
across runs and processes, catch-up after downtime, 429/5xx retries, channels that refuse us."""

from __future__ import annotations

import json
import threading
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.jobs import run_job
from bot.schedule import ledger
from bot.schedule.ledger import DeliveryKey
from bot.services import Services
from bot.views import digest_ids
from storage.db import Database
from storage.models.schedule import DigestSubscription
from tests.conftest import add_account
from tests.fake_slack import Call, FakeSlack
from tests.schedule.conftest import FakeClock, add_subscription, add_ticket, utc


def posts(fake: FakeSlack, channel: str | None = None) -> list[Call]:
    return [c for c in fake.calls_to("chat.postMessage") if channel is None or c.params["channel"] == channel]


def blob(call: Call) -> str:
    return json.dumps(call.params.get("blocks"), ensure_ascii=False) + str(call.params.get("text"))


@pytest.fixture
def enterprise(services: Services, db: Database) -> int:
    acct = add_account(db, services.policy, "Acme Corp", 32000)
    add_ticket(db, "T-100", acct, "enterprise", utc(2026, 11, 1), subject="Checkout is down")
    return acct


def test_posts_at_nine_in_the_channel_zone_and_not_before(
    services: Services, clock: FakeClock, fake_slack: FakeSlack, db: Database, enterprise: int
) -> None:
    clock.set(utc(2026, 11, 22, 20))
    add_subscription(db, "CSUP", clock())
    clock.set(utc(2026, 11, 23, 7, 59))  # 08:59 in Paris
    run_job(services, "digests")
    assert posts(fake_slack) == []

    clock.set(utc(2026, 11, 23, 8, 0, 30))  # 09:00:30 in Paris
    report = run_job(services, "digests")
    assert [o.status for o in report.outcomes] == ["sent"]
    [post] = posts(fake_slack)
    assert post.params["channel"] == "CSUP"
    text = blob(post)
    assert "SLA digest · Mon 23 Nov 09:00 CET" in text
    assert "T-100" in text and "Checkout is down" in text
    assert digest_ids.ACK in text and digest_ids.SNOOZE in text
    assert post.params["metadata"]["event_payload"]["delivery"] == "digests|CSUP|daily:2026-11-23T09:00+01:00"

    for minutes in (1, 30, 600):  # later ticks the same day: nothing more
        clock.set(utc(2026, 11, 23, 8, 0) + timedelta(minutes=minutes))
        run_job(services, "digests")
    assert len(posts(fake_slack)) == 1
    rows = ledger.rows(db, "digests")
    assert [(r.period, r.status, r.attempts, r.message_ts is not None) for r in rows] == [
        ("daily:2026-11-23T09:00+01:00", "sent", 1, True)
    ]


def test_dst_switch_keeps_nine_local(
    services: Services, clock: FakeClock, fake_slack: FakeSlack, db: Database, enterprise: int
) -> None:
    clock.set(utc(2026, 3, 27, 12))
    add_subscription(db, "CSUP", clock())
    clock.set(utc(2026, 3, 28, 8, 0, 10))  # 09:00 CET
    run_job(services, "digests")
    clock.set(utc(2026, 3, 29, 6, 59))  # 08:59 CEST, the morning of the switch
    run_job(services, "digests")
    assert len(posts(fake_slack)) == 1
    clock.set(utc(2026, 3, 29, 7, 0, 10))  # 09:00 CEST
    run_job(services, "digests")
    assert [r.period for r in ledger.rows(db, "digests")] == [
        "daily:2026-03-28T09:00+01:00",
        "daily:2026-03-29T09:00+02:00",
    ]


def test_holidays_are_skipped(
    services: Services, clock: FakeClock, fake_slack: FakeSlack, db: Database, enterprise: int
) -> None:
    clock.set(utc(2026, 11, 25, 15))  # after that day's 09:00 in New York
    add_subscription(db, "CSUP", clock(), tz="America/New_York", skip_holidays="US")
    clock.set(utc(2026, 11, 26, 14, 0, 30))  # Thanksgiving, 09:00 in New York
    run_job(services, "digests")
    assert posts(fake_slack) == [] and ledger.rows(db, "digests") == []
    clock.set(utc(2026, 11, 27, 14, 0, 30))
    run_job(services, "digests")
    assert len(posts(fake_slack)) == 1


def test_two_processes_running_the_same_tick_post_once(
    services: Services, clock: FakeClock, fake_slack: FakeSlack, db: Database, enterprise: int
) -> None:
    clock.set(utc(2026, 11, 22, 20))
    add_subscription(db, "CSUP", clock())
    clock.set(utc(2026, 11, 23, 8, 0, 30))
    other = Services(settings=services.settings, db=Database(db.url), policy=services.policy, clock=clock)
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def run(s: Services) -> None:
        barrier.wait()
        try:
            run_job(s, "digests")
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(s,)) for s in (services, other, services, other)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    other.db.dispose()
    assert errors == []
    assert len(posts(fake_slack)) == 1
    assert [r.status for r in ledger.rows(db, "digests")] == ["sent"]


def test_downtime_catch_up_posts_once_within_grace_and_records_older_as_skipped(
    services: Services, clock: FakeClock, fake_slack: FakeSlack, db: Database, enterprise: int
) -> None:
    clock.set(utc(2026, 11, 22, 20))
    add_subscription(db, "CSUP", clock())
    clock.set(utc(2026, 11, 23, 7))
    run_job(services, "digests")  # 08:00 Paris: last tick before the outage
    clock.set(utc(2026, 11, 23, 11))  # back at 12:00 Paris, 3 h after the 09:00 period (grace 6 h)
    run_job(services, "digests")
    run_job(services, "digests")
    assert len(posts(fake_slack)) == 1
    assert "Mon 23 Nov 09:00" in blob(posts(fake_slack)[0])

    clock.set(utc(2026, 11, 24, 16))  # down from then until 17:00 Paris the next day: 8 h late
    run_job(services, "digests")
    assert len(posts(fake_slack)) == 1
    rows = {r.period: r for r in ledger.rows(db, "digests")}
    skipped = rows["daily:2026-11-24T09:00+01:00"]
    assert skipped.status == "skipped"
    assert "beyond the 6 h grace" in (skipped.last_error or "")


def test_429_keeps_the_row_pending_until_retry_after_then_posts_once(
    services: Services, clock: FakeClock, fake_slack: FakeSlack, db: Database, enterprise: int
) -> None:
    clock.set(utc(2026, 11, 22, 20))
    add_subscription(db, "CSUP", clock())
    fake_slack.fail("chat.postMessage", 429, times=1, retry_after=30)
    clock.set(utc(2026, 11, 23, 8, 0, 30))
    start = clock()
    assert [o.status for o in run_job(services, "digests").outcomes] == ["pending"]
    [row] = ledger.rows(db, "digests")
    assert (row.status, row.attempts, row.next_attempt_at) == ("pending", 1, start + timedelta(seconds=30))
    assert "ratelimited" in (row.last_error or "")

    clock.set(start + timedelta(seconds=10))  # Retry-After not over: Slack is not asked again
    run_job(services, "digests")
    assert len(posts(fake_slack)) == 1
    clock.set(start + timedelta(seconds=31))
    assert [o.status for o in run_job(services, "digests").outcomes] == ["sent"]
    run_job(services, "digests")
    assert len(posts(fake_slack)) == 2  # the refused call and the one that went through
    [row] = ledger.rows(db, "digests")
    assert (row.status, row.attempts, row.last_error) == ("sent", 2, None)


def test_5xx_is_retried_with_backoff_then_given_up_with_a_reason(
    services: Services, clock: FakeClock, fake_slack: FakeSlack, db: Database, enterprise: int
) -> None:
    clock.set(utc(2026, 11, 22, 20))
    add_subscription(db, "CSUP", clock())
    fake_slack.fail("chat.postMessage", 500, times=20, error="internal_error")
    clock.set(utc(2026, 11, 23, 8, 0, 30))
    statuses = []
    for _ in range(8):
        statuses.append([o.status for o in run_job(services, "digests").outcomes])
        clock.advance(minutes=16)  # past the longest backoff
    assert statuses[:5] == [["pending"], ["pending"], ["pending"], ["pending"], ["given_up"]]
    assert statuses[5:] == [[], [], []]
    assert len(posts(fake_slack)) == 5
    [row] = ledger.rows(db, "digests")
    assert row.status == "given_up" and row.attempts == 5
    assert "gave up after 5 attempts" in (row.last_error or "") and "HTTP 500" in (row.last_error or "")


def test_not_in_channel_tells_the_subscriber_once(
    services: Services, clock: FakeClock, fake_slack: FakeSlack, db: Database, enterprise: int
) -> None:
    clock.set(utc(2026, 11, 22, 20))
    add_subscription(db, "CSUP", clock(), user="USUBSCRIBER")
    fake_slack.not_in_channel.add("CSUP")
    for day in (23, 24, 25):
        clock.set(utc(2026, 11, day, 8, 0, 30))
        run_job(services, "digests")
    digests = ledger.rows(db, "digests")
    assert [r.status for r in digests] == ["given_up"] * 3
    assert "not_in_channel" in (digests[0].last_error or "")
    opened = fake_slack.calls_to("conversations.open")
    assert [c.params["users"] for c in opened] == ["USUBSCRIBER"]
    dms = posts(fake_slack, "DUSUBSCRIBER")
    assert len(dms) == 1
    assert "not a member" in blob(dms[0]) and "/invite @tierbot" in blob(dms[0])

    fake_slack.not_in_channel.discard("CSUP")  # invited: the next digest goes through, the flag clears
    clock.set(utc(2026, 11, 26, 8, 0, 30))
    run_job(services, "digests")
    assert len(posts(fake_slack, "CSUP")) == 4  # three refused, one posted
    with db.session() as session:
        sub = session.scalar(select(DigestSubscription))
        assert sub is not None and sub.problem_notified_at is None


def _crashed_row(db: Database, now: datetime, period: str) -> None:
    message = {"text": "SLA digest (claimed by a process that died)", "blocks": []}
    data = {"channel": "CSUP", "user": None, "message": message}
    claimed = ledger.claim_new(db, DeliveryKey("digests", "CSUP", period), data, now, "dead-process")
    assert claimed is not None


def test_a_post_left_sending_by_a_dead_process_is_taken_over_after_its_lease(
    services: Services, clock: FakeClock, fake_slack: FakeSlack, db: Database
) -> None:
    clock.set(utc(2026, 11, 23, 8))
    _crashed_row(db, clock(), "daily:2026-11-23T09:00+01:00")
    clock.advance(seconds=30)  # lease still running: the owner may be posting right now
    run_job(services, "digests")
    assert posts(fake_slack) == []
    clock.advance(minutes=5)
    run_job(services, "digests")
    assert len(posts(fake_slack)) == 1
    assert len(fake_slack.calls_to("conversations.history")) == 1  # looked before re-posting
    [row] = ledger.rows(db, "digests")
    assert (row.status, row.attempts) == ("sent", 2)


def test_takeover_finds_the_message_in_history_and_does_not_post_again(
    services: Services, clock: FakeClock, fake_slack: FakeSlack, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    period = "daily:2026-11-23T09:00+01:00"
    clock.set(utc(2026, 11, 23, 8))
    _crashed_row(db, clock(), period)
    answer = fake_slack._answer

    def with_history(method: str, params: dict[str, Any]) -> dict[str, Any]:
        if method == "conversations.history":
            meta = {"event_type": "tierbot_delivery", "event_payload": {"delivery": f"digests|CSUP|{period}"}}
            return {"ok": True, "messages": [{"ts": "1700000000.000777", "metadata": meta}]}
        return answer(method, params)

    monkeypatch.setattr(fake_slack, "_answer", with_history)
    clock.advance(minutes=5)
    run_job(services, "digests")
    assert posts(fake_slack) == []
    [row] = ledger.rows(db, "digests")
    assert (row.status, row.message_ts) == ("sent", "1700000000.000777")


def test_a_large_digest_stays_within_block_kit_limits(
    services: Services, clock: FakeClock, fake_slack: FakeSlack, db: Database
) -> None:
    policy = services.policy
    big = add_account(db, policy, "Big Enterprise", 90000)
    small = add_account(db, policy, "Small Co", 1000)
    for n in range(40):
        add_ticket(
            db, f"E-{n:03d}", big, "enterprise", utc(2026, 11, 1) + timedelta(minutes=n), subject="x" * 400
        )
        add_ticket(db, f"S-{n:03d}", small, "starter", utc(2026, 11, 1), severity="sev2")
    clock.set(utc(2026, 11, 22, 20))
    add_subscription(db, "CSUP", clock())
    clock.set(utc(2026, 11, 23, 8, 0, 30))
    assert [o.status for o in run_job(services, "digests").outcomes] == ["sent"]
    [post] = posts(fake_slack)
    blocks = post.params["blocks"]
    assert len(blocks) <= 50
    assert "and 65 more — run `tierbot digest show` to see them all" in blob(post)


def test_an_unsubscribed_channel_gets_nothing(
    services: Services, clock: FakeClock, fake_slack: FakeSlack, db: Database, enterprise: int
) -> None:
    from bot.digest.subscriptions import unsubscribe

    clock.set(utc(2026, 11, 22, 20))
    add_subscription(db, "CSUP", clock())
    assert unsubscribe(db, "CSUP")
    clock.set(utc(2026, 11, 23, 8, 0, 30))
    run_job(services, "digests")
    assert posts(fake_slack) == []
