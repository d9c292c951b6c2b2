"""`views.open` that hangs past Slack's deadline: the user gets a clear ephemeral answer within 3 s,
not a 500, and no draft is left behind (issue 9, item 7)."""

from __future__ import annotations

import time

from storage.db import Database
from storage.models.decisions import DecisionDraft
from tests.decisions.flow import count, open_modal
from tests.fake_slack import FakeSlack, validate_message
from tests.slack_http import SlackHTTP


def test_a_hanging_views_open_answers_in_time_and_leaves_no_draft(
    slack: SlackHTTP, fake_slack: FakeSlack, db: Database
) -> None:
    fake_slack.delay("views.open", 4.0)  # past the request client's 3 s and Slack's own deadline
    started = time.monotonic()
    response = slack.command("/decision", "", user_id="U1", channel_id="C1")
    elapsed = time.monotonic() - started
    assert response.status_code == 200, response.text
    assert elapsed < 2.8, f"answered after {elapsed:.2f} s; Slack gives up at 3 s"
    message = response.json()
    validate_message(message)
    assert message["response_type"] == "ephemeral"
    assert "Slack did not open the form in time" in str(message)
    assert count(db, DecisionDraft) == 0

    # Slack answering again: the next /decision opens the modal on a fresh draft.
    open_modal(slack, fake_slack)
    assert count(db, DecisionDraft) == 1


def test_a_refused_views_open_leaves_no_draft(slack: SlackHTTP, fake_slack: FakeSlack, db: Database) -> None:
    fake_slack.fail("views.open", 200, error="expired_trigger_id")
    response = slack.command("/decision", "", user_id="U1", channel_id="C1")
    assert response.status_code == 200
    assert "Slack did not open the form" in str(response.json())
    assert count(db, DecisionDraft) == 0
