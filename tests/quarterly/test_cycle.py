"""A quarterly review cycle over signed HTTP and the Slack fake: the first date is the start of the next
quarter; the owner is reminded once, QUARTERLY_REVIEW_LEAD_DAYS before, with a brief; *Mark held* opens
the modal whose submission records the review and schedules the next a quarter later; overdue reviews
are listed by /tier reviews and in the App Home."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from bot.alerts.health import record_health_change
from bot.jobs import job_names, run_job
from bot.quarterly.dates import next_quarter_start, quarter_after
from bot.services import Services
from bot.views import quarterly_ids as ids
from storage.models.quarterly import HeldReview, ReviewSchedule
from tests.conftest import add_account
from tests.fake_slack import FakeSlack, validate_message, validate_view
from tests.schedule.conftest import FakeClock
from tests.sla.factories import load, ticket, utc


def dms(fake: FakeSlack) -> list:
    return [c for c in fake.calls_to("chat.postMessage") if str(c.params["channel"]).startswith("D")]


def test_dates():
    assert next_quarter_start(utc(2026, 11, 20, 12)) == utc(2027, 1, 1)
    assert next_quarter_start(utc(2026, 3, 31, 23)) == utc(2026, 4, 1)
    assert quarter_after(utc(2026, 11, 30, 15)) == utc(2027, 2, 28)
    assert quarter_after(utc(2027, 1, 5)) == utc(2027, 4, 5)


@pytest.fixture
def acme(services: Services, db, policy) -> int:
    acct = add_account(db, policy, "Acme Corp", 60000, external_id="ACME", owner="UOWNER", health_score=72)
    add_account(db, policy, "Small Co", 1000, owner="USMALL")  # starter: no quarterly review
    load(db, policy, [
        ticket("Q1", "ACME", "sev1", "solved", utc(2026, 12, 1, 10), first_response_at=utc(2026, 12, 1, 10, 10),
               solved_at=utc(2026, 12, 1, 12)),
        ticket("Q2", "ACME", "sev2", "solved", utc(2026, 12, 2, 10), first_response_at=utc(2026, 12, 2, 12),
               solved_at=utc(2026, 12, 2, 20)),
        ticket("Q3", "ACME", "sev3", "open", utc(2026, 12, 10, 10), first_response_at=utc(2026, 12, 10, 11)),
    ])  # fmt: skip
    return acct


def test_quarterly_review_cycle(slack, services: Services, fake_slack: FakeSlack, db, acme: int):
    assert "quarterly-reviews" in job_names()
    clock = FakeClock(utc(2026, 11, 20, 8))
    services.clock = clock
    run_job(services, "quarterly-reviews")
    with db.session() as session:
        [row] = session.scalars(select(ReviewSchedule)).all()
        assert (row.account_id, row.due_at) == (acme, utc(2027, 1, 1))  # Small Co's tier has no review
    assert dms(fake_slack) == []  # six weeks away

    with db.session() as session:  # health history kept by imports and syncs (issue 11's alerts)
        record_health_change(session, acme, 90, 80, utc(2026, 10, 1))
        record_health_change(session, acme, 80, 72, utc(2026, 12, 1))
    clock.set(utc(2026, 12, 18, 8))  # 14 days before 1 Jan
    first = run_job(services, "quarterly-reviews")
    again = run_job(services, "quarterly-reviews")
    assert [o.status for o in first.outcomes] == ["sent"] and again.outcomes == []
    [dm] = dms(fake_slack)
    assert dm.params["channel"] == "DUOWNER"
    text = json.dumps(dm.params["blocks"], ensure_ascii=False)
    assert "Quarterly review: Acme Corp" in text and "in 14 days" in text
    # Q1 met both; Q2 missed its first response (2h > 1h) and resolution (10h > 8h); the open sev3 Q3
    # answered in 1h (met) and is long past its 16 business hours (missed): 2/3, 1/3, three missed.
    assert "first response 66.7%, resolution 33.3%, 3 targets missed" in text
    assert "*Open tickets*: 1" in text and "*Health*: 80 → 72 ↓ (now 72;" in text
    assert ids.MARK_HELD in text

    clock.set(utc(2027, 1, 5, 9))  # overdue now
    reviews = slack.command("/tier", "reviews").json()
    validate_message(reviews)
    assert "Overdue quarterly reviews* · 1" in json.dumps(
        reviews, ensure_ascii=False
    ) and "4 days overdue" in json.dumps(reviews, ensure_ascii=False)
    home = slack.event({"type": "app_home_opened", "user": "U9", "tab": "home"})
    assert home.status_code == 200
    published = [c for c in fake_slack.calls_to("views.publish")]
    assert published and "Overdue quarterly reviews" in json.dumps(published[-1].params["view"])

    slack.block_action(ids.MARK_HELD, str(acme), user_id="UOWNER", message_ts="1700000000.000009")
    [opened] = fake_slack.calls_to("views.open")
    modal = opened.params["view"]
    modal = json.loads(modal) if isinstance(modal, str) else modal
    validate_view(modal)
    modal["state"] = {
        "values": {
            ids.NOTE_BLOCK: {ids.NOTE_INPUT: {"type": "plain_text_input", "value": "Roadmap\nand SSO"}}
        }
    }
    answer = slack.view_submission(modal, user_id="UOWNER")
    assert answer.status_code == 200
    body = answer.json()
    assert body["response_action"] == "update" and "Next one due Mon 05 Apr 2027" in json.dumps(body)
    with db.session() as session:
        held = session.scalars(select(HeldReview)).one()
        assert (held.held_by, held.note, held.due_at) == ("UOWNER", "Roadmap\nand SSO", utc(2027, 1, 1))
        assert session.get(ReviewSchedule, acme).due_at == utc(2027, 4, 5)

    none = slack.command("/tier", "reviews").json()
    assert "No quarterly review is overdue" in none["text"]
    clock.set(utc(2027, 3, 22, 8))  # 14 days before 5 Apr: the next reminder, a new key
    assert [o.status for o in run_job(services, "quarterly-reviews").outcomes] == ["sent"]
    assert len(dms(fake_slack)) == 2
