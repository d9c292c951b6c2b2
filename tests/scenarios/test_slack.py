"""/tier scenario over signed HTTP and the local Slack fake: ack at once, result by respond, chart upload."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.policy.model import Policy
from bot.services import Services
from bot.views import decision_ids, scenario_ids
from storage.db import Database
from tests.fake_slack import FakeSlack, eventually, validate_message
from tests.scenarios.example import NOW, POLICY, seed
from tests.slack_http import SlackHTTP


@pytest.fixture
def policy() -> Policy:
    return POLICY


@pytest.fixture
def seeded(db: Database, services: Services) -> None:
    seed(db)
    services.clock = lambda: NOW


def ack_body(response: Any) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    message = response.json()
    validate_message(message)
    return message


def test_scenario_acks_then_responds(slack: SlackHTTP, fake_slack: FakeSlack, seeded: None) -> None:
    ack = ack_body(slack.command("/tier", "scenario premium=15000 days=7"))
    assert ack["response_type"] == "ephemeral"
    assert "Running the scenario over 4 accounts" in ack["text"]
    (result,) = eventually(lambda: fake_slack.responses, timeout=30)
    assert result["response_type"] == "ephemeral"
    assert result["text"] == "Scenario premium=15000 days=7: 1 account ($12,000 ACV) would change tier."
    blob = json.dumps(result["blocks"], ensure_ascii=False)
    assert "A2 ($12,000): premium → basic" in blob
    assert "*D differentiation*\\n1.88 → 3.40" in blob
    assert "*Median first response*\\n12h 40m → 15h 28m" in blob  # basic: 760 → 928 minutes


def test_sweep_posts_the_table_and_uploads_the_chart(
    slack: SlackHTTP, fake_slack: FakeSlack, seeded: None
) -> None:
    ack = ack_body(
        slack.command("/tier", "scenario sweep premium=3000..21000 step 1000 days=7", channel_id="C9")
    )
    assert "Running the sweep over 4 accounts" in ack["text"]
    (result,) = eventually(lambda: fake_slack.responses, timeout=30)
    assert result["text"] == "Sweep of the premium threshold: no flip in range"
    blob = json.dumps(result["blocks"])
    assert "today" in blob and "Flip point:* no flip in range" in blob
    # matplotlib loads with the first chart: seconds on a busy machine
    (complete,) = eventually(lambda: fake_slack.calls_to("files.completeUploadExternal"), timeout=60)
    assert complete.params["channel_id"] == "C9"
    assert "<@U1>'s sweep of the premium threshold" in complete.params["initial_comment"]
    (uploaded,) = fake_slack.files.values()
    assert uploaded["filename"] == "sweep-premium.png" and uploaded["channel"] == "C9"
    assert uploaded["data"][:8] == b"\x89PNG\r\n\x1a\n" and len(uploaded["data"]) == uploaded["length"] > 5000


def test_refusals_answer_in_the_ack(slack: SlackHTTP, fake_slack: FakeSlack, seeded: None) -> None:
    ack = ack_body(slack.command("/tier", "scenario premium=0"))
    assert "premium=0 is not above basic=0" in ack["text"]
    ack = ack_body(slack.command("/tier", "scenario sweep premium=1..100000 step 1"))
    assert "a sweep has at most 50" in ack["text"]


def test_days_beyond_the_data_are_refused_after_the_ack(
    slack: SlackHTTP, fake_slack: FakeSlack, seeded: None
) -> None:
    ack_body(slack.command("/tier", "scenario days=365"))
    (result,) = eventually(lambda: fake_slack.responses, timeout=30)
    assert "the tickets go back 30 days" in result["text"]


def test_other_tier_commands_still_reach_tier(slack: SlackHTTP, fake_slack: FakeSlack, seeded: None) -> None:
    assert ack_body(slack.command("/tier", "A2"))["text"] == "A2 is Premium tier"


def _button(message: dict[str, Any], action_id: str) -> dict[str, Any]:
    return next(
        e
        for b in message["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == action_id
    )


def test_log_a_decision_opens_compare_prefilled(
    slack: SlackHTTP, fake_slack: FakeSlack, seeded: None
) -> None:
    ack_body(slack.command("/tier", "scenario premium=15000 days=7"))
    (result,) = eventually(lambda: fake_slack.responses, timeout=30)
    button = _button(result, scenario_ids.LOG_DECISION)
    assert len(button["value"]) < 2000
    response = slack.block_action(button["action_id"], button["value"])
    assert response.status_code == 200, response.text
    (opened,) = eventually(lambda: fake_slack.calls_to("views.open"))
    view = opened.params["view"]
    view = json.loads(view) if isinstance(view, str) else view
    assert view["callback_id"] == decision_ids.COMPARE
    blob = json.dumps(view, ensure_ascii=False)
    assert "Scenario: premium=15000 days=7" in blob  # option B
    assert "D 1.88 -> 3.40" in blob and "Moves: premium->basic 1 ($12,000)" in blob  # evidence


def test_sweep_evidence_carries_the_flip_point(slack: SlackHTTP, fake_slack: FakeSlack, seeded: None) -> None:
    ack_body(slack.command("/tier", "scenario sweep premium=3000..21000 step 1000 days=7 budget=6000"))
    (result,) = eventually(lambda: fake_slack.responses, timeout=30)
    button = _button(result, scenario_ids.LOG_DECISION)
    slack.block_action(button["action_id"], button["value"])
    (opened,) = eventually(lambda: fake_slack.calls_to("views.open"))
    assert (
        "premium threshold $3,000-$21,000: flip point none in range; over the budget of $6,000 from $11,000"
        in json.dumps(opened.params["view"])
    )


def test_log_a_decision_with_a_value_it_did_not_write(
    slack: SlackHTTP, fake_slack: FakeSlack, seeded: None
) -> None:
    for value in ("not json", "", "x\x00y" * 20, json.dumps({"command": "x", "evidence": "e"})):
        assert slack.block_action(scenario_ids.LOG_DECISION, value).status_code == 200
    said = eventually(lambda: fake_slack.responses if len(fake_slack.responses) == 4 else None)
    assert all("no longer kept" in r["text"] for r in said)
    assert not fake_slack.calls_to("views.open")
