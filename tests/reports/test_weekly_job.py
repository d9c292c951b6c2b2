"""The `tier-report` job: subscribed with `/digest subscribe #ch weekly-report mon 09:00`, posted once per
week through the ledger (two runs, one post), the chart shared in the channel with files.uploadV2."""

from __future__ import annotations

import json

from bot.jobs import job_names, run_job
from bot.services import Services
from tests.fake_slack import FakeSlack, validate_message
from tests.reports.dataset import seed
from tests.schedule.conftest import FakeClock
from tests.sla.factories import utc


def test_weekly_report_once_per_week_with_its_chart(
    slack, services: Services, fake_slack: FakeSlack, db, policy
):
    seed(db, policy)
    fake_slack.members["CREP"] = ["U1"]  # subscribing takes a member of the channel (or an admin)
    clock = FakeClock(utc(2026, 11, 20, 12))  # Friday
    services.clock = clock
    reply = slack.command("/digest", "subscribe <#CREP|support> weekly-report mon 09:00 tz=UTC").json()
    validate_message(reply)
    assert "weekly per-tier report" in json.dumps(reply) and "Mon 23 Nov 09:00" in json.dumps(reply)
    assert "tier-report" in job_names()

    clock.set(utc(2026, 11, 23, 8, 59))
    assert run_job(services, "tier-report").outcomes == []  # not yet Monday 09:00

    clock.set(utc(2026, 11, 23, 9, 0, 30))
    first = run_job(services, "tier-report")
    second = run_job(services, "tier-report")
    assert [o.status for o in first.outcomes] == ["sent", "sent"]
    assert [o.status for o in second.outcomes] == []
    [post] = [c for c in fake_slack.calls_to("chat.postMessage") if c.params["channel"] == "CREP"]
    text = json.dumps(post.params["blocks"])
    assert "last 7 days" in text and "Enterprise" in text
    assert (
        post.params["metadata"]["event_payload"]["delivery"]
        == "tier-report|CREP|weekly:2026-11-23T09:00+00:00"
    )

    [upload] = fake_slack.files.values()
    assert upload["channel"] == "CREP" and upload["filename"] == "tier-report-2026-11-23.png"
    assert upload["data"][:8] == b"\x89PNG\r\n\x1a\n" and len(upload["data"]) > 5 * 1024
    assert len(fake_slack.calls_to("files.completeUploadExternal")) == 1

    clock.set(utc(2026, 11, 30, 9, 1))  # the next Monday: one more post
    third = run_job(services, "tier-report")
    assert [o.status for o in third.outcomes] == ["sent", "sent"]


def test_unsubscribe_weekly_report_keeps_the_digest(slack, services: Services, fake_slack: FakeSlack):
    services.clock = FakeClock(utc(2026, 11, 20, 12))
    refused = slack.command("/digest", "subscribe <#CREP|support> weekly-report mon").json()
    assert "Nothing was changed" in json.dumps(refused) or "member" in json.dumps(refused)
    fake_slack.members["CREP"] = ["U1"]
    slack.command("/digest", "subscribe <#CREP|support> weekly-report mon")
    bye = slack.command("/digest", "unsubscribe <#CREP|support> weekly-report").json()
    assert "no more weekly per-tier reports" in json.dumps(bye)
    bad = slack.command("/digest", "subscribe weekly-report someday").json()
    validate_message(bad)
    assert "Nothing was changed" in json.dumps(bad)
