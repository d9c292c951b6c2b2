"""The database going away mid-conversation: every kind of request gets an answer Slack accepts."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from bot.services import Services
from bot.views import decision_ids
from storage.db import Database
from tests.fake_slack import validate_message, validate_view
from tests.slack_http import SlackHTTP


@pytest.fixture
def database_down(services: Services) -> Iterator[None]:
    """The same Database object every listener holds, now pointing at a server that is not there."""
    db = services.db
    real = db.engine, db.sessions
    broken = Database("postgresql+psycopg://nobody@127.0.0.1:1/none", connect_args={"connect_timeout": 1})
    db.engine, db.sessions = broken.engine, broken.sessions
    services.invalidate()
    yield
    db.engine, db.sessions = real


def test_modal_submission_gets_a_notice_pushed_over_the_form(slack: SlackHTTP, database_down: None) -> None:
    view = {
        "id": "V1",
        "hash": "h1",
        "type": "modal",
        "callback_id": decision_ids.FRAME,
        "private_metadata": json.dumps({"draft": "d-1"}),
        "state": {"values": {}},
    }
    response = slack.view_submission(view)
    assert response.status_code == 200
    answer = response.json()
    assert answer["response_action"] == "push"
    validate_view(answer["view"])
    assert "cannot reach its database" in json.dumps(answer["view"])


def test_account_search_gets_no_options(slack: SlackHTTP, database_down: None) -> None:
    payload = {
        "type": "block_suggestion",
        "user": {"id": "U1"},
        "action_id": decision_ids.ACCOUNTS_SEARCH,
        "block_id": "accounts",
        "value": "acme",
        "view": {"id": "V1", "type": "modal", "callback_id": decision_ids.FRAME},
    }
    response = slack.interaction(payload)
    assert response.status_code == 200
    assert response.json() == {"options": []}


@pytest.mark.parametrize("command", ["/tier", "/decision", "/digest"])
def test_slash_commands_say_the_database_is_down(slack: SlackHTTP, database_down: None, command: str) -> None:
    text = {"/tier": "acme", "/decision": "list", "/digest": "list"}[command]
    response = slack.command(command, text)
    assert response.status_code == 200
    message = response.json()
    validate_message(message)
    assert "cannot reach its database" in message["text"]
