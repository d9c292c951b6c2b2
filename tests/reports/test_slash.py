"""/sla report over signed HTTP: acked within the request, the report follows through the response_url."""

import time

from bot.services import Services
from tests.fake_slack import FakeSlack, eventually, validate_message
from tests.reports.dataset import NOW, seed


def test_sla_report_acks_then_responds(slack, services: Services, fake_slack: FakeSlack, db, policy):
    seed(db, policy)
    services.clock = lambda: NOW
    t0 = time.perf_counter()
    response = slack.command("/sla", "report 7d")
    elapsed = time.perf_counter() - t0
    assert response.status_code == 200, response.text
    ack = response.json()
    validate_message(ack)
    assert ack["response_type"] == "ephemeral" and "Working on the per-tier report" in ack["text"]
    assert elapsed < 3.0
    assert eventually(lambda: fake_slack.responses)
    message = fake_slack.responses[-1]
    assert message["response_type"] == "ephemeral" and message["replace_original"] is True
    text = str(message["blocks"])
    assert "last 7 days" in text and "*MTTR*: 5h 20m  (-40m)" in text and "Enterprise" in text


def test_sla_help_and_bad_period(slack, fake_slack: FakeSlack):
    help_ = slack.command("/sla", "").json()
    assert "/sla report [7d|30d|quarter]" in help_["text"]
    bad = slack.command("/sla", "report fortnight").json()
    validate_message(bad)
    assert "`fortnight` is not a period" in bad["text"]
    time.sleep(0.2)
    assert fake_slack.responses == []  # the lazy listener answers nothing it was not asked
