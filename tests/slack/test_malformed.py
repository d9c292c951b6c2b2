"""Validly signed but malformed payloads: never a 500, never a traceback, nothing written.

Slack never sends these, but a signature only proves who sent a body, not that it is well-formed.
Each case here answered 500 (or was silently dropped) before `handlers._shape` and the fallback
listeners existed.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from bot.services import Services
from bot.views import decision_ids, digest_ids, tier_ids
from storage.models import Base
from tests.conftest import add_account
from tests.fake_slack import FakeSlack, eventually, validate_message
from tests.slack_http import SlackHTTP

TRACE_MARKERS = ("Traceback", 'File "', "Error:", "A server error occurred")


def rows(services: Services) -> dict[str, int]:
    with services.db.session() as session:
        return {
            t.name: session.execute(select(func.count()).select_from(t)).scalar_one()
            for t in Base.metadata.sorted_tables
        }


def assert_clean(response: httpx.Response) -> None:
    assert response.status_code < 500, (response.status_code, response.text[:300])
    assert not any(marker in response.text for marker in TRACE_MARKERS), response.text[:300]


def ephemeral_line(response: httpx.Response) -> str:
    assert response.status_code == 200
    message = response.json()
    validate_message(message)
    assert message["response_type"] == "ephemeral"
    return str(message["text"])


CASES: dict[str, Callable[[SlackHTTP], httpx.Response]] = {
    "empty actions": lambda s: s.interaction({"type": "block_actions", "user": {"id": "U1"}, "actions": []}),
    "action without id": lambda s: s.interaction(
        {"type": "block_actions", "user": {"id": "U1"}, "actions": [{"value": "1"}]}
    ),
    "action value not text": lambda s: s.interaction(
        {
            "type": "block_actions",
            "user": {"id": "U1"},
            "actions": [{"action_id": tier_ids.SHARE, "value": 7}],
        }
    ),
    "action without user": lambda s: s.interaction(
        {"type": "block_actions", "actions": [{"action_id": tier_ids.SHARE, "value": "1"}]}
    ),
    "command without user": lambda s: s.form({"command": "/tier", "text": "acme"}),
    "view without callback id": lambda s: s.interaction(
        {"type": "view_submission", "user": {"id": "U1"}, "view": {"id": "V1", "state": {"values": {}}}}
    ),
    "view state not readable": lambda s: s.interaction(
        {
            "type": "view_submission",
            "user": {"id": "U1"},
            "view": {"id": "V1", "callback_id": decision_ids.FRAME, "state": "x"},
        }
    ),
    "view without a type": lambda s: s.interaction(
        {"type": "view_submission", "user": {"id": "U1"}, "view": {"id": "V1", "callback_id": "x"}}
    ),
    "options without action id": lambda s: s.interaction({"type": "block_suggestion", "user": {"id": "U1"}}),
    "unknown payload type": lambda s: s.interaction({"type": "weird", "user": {"id": "U1"}}),
    "event without type": lambda s: s.event({"user": "U1"}),
    "payload not json": lambda s: s.form({"payload": "{bad"}),
    "payload a json array": lambda s: s.form({"payload": "[1, 2]"}),
    "json body an array": lambda s: s.post("[1, 2]", "application/json"),
    "json body a string": lambda s: s.post('"x"', "application/json"),
    "pick an id too large for the database": lambda s: s.block_action(tier_ids.PICK + ":1", "9" * 30),
    "pick a non-numeric id": lambda s: s.block_action(tier_ids.PICK + ":1", "abc"),
    "share an impossible id": lambda s: s.block_action(tier_ids.SHARE, "-1"),
    "acknowledge a huge ticket id": lambda s: s.block_action(digest_ids.ACK, "x" * 5000),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_malformed_payload_gets_an_answer_and_writes_nothing(
    case: str, slack: SlackHTTP, services: Services, fake_slack: FakeSlack
) -> None:
    before = rows(services)
    response = CASES[case](slack)
    assert_clean(response)
    assert rows(services) == before


def test_a_malformed_command_or_button_is_told_so(slack: SlackHTTP) -> None:
    line = ephemeral_line(slack.form({"command": "/tier", "text": "acme"}))
    assert "could not read that request" in line and "nothing was changed" in line
    empty = slack.interaction({"type": "block_actions", "user": {"id": "U1"}, "actions": []})
    assert "could not read that request" in ephemeral_line(empty)


def test_unreadable_bodies_are_400(slack: SlackHTTP) -> None:
    for response in (slack.form({"payload": "{bad"}), slack.post("[1]", "application/json")):
        assert response.status_code == 400
        assert response.json()["error"] in ("malformed request", "malformed payload")


def test_a_pick_of_an_account_that_cannot_exist_says_so(
    slack: SlackHTTP, services: Services, fake_slack: FakeSlack
) -> None:
    add_account(services.db, services.policy, "Acme")
    assert slack.block_action(tier_ids.PICK + ":1", "9" * 30).status_code == 200
    replies = eventually(lambda: fake_slack.responses)
    assert replies and "no longer exists" in json.dumps(replies[-1])


def test_unknown_command_answers_one_clear_line(slack: SlackHTTP) -> None:
    line = ephemeral_line(slack.command("/nope", "x"))
    assert line == "tierbot has no such command: `/nope`. Try `/tier help`."
    assert "@app.command" not in line


def test_unknown_button_answers_one_clear_line(slack: SlackHTTP, fake_slack: FakeSlack) -> None:
    response = slack.block_action("retired_button", "1")
    assert response.status_code == 200
    replies = eventually(lambda: fake_slack.responses)
    assert replies and "no longer something tierbot knows" in json.dumps(replies[-1])


def test_unknown_view_gets_a_notice(slack: SlackHTTP) -> None:
    view = slack.view_submission(
        {"id": "V1", "type": "modal", "callback_id": "retired_form", "state": {"values": {}}}
    )
    assert view.status_code == 200 and view.json()["response_action"] == "push"


# -- property: mutate real payloads of every surface ------------------------------------------------------
SURFACES: list[dict[str, Any]] = [
    {"type": "block_actions", "user": {"id": "U1"}, "channel": {"id": "C1"},
     "container": {"type": "message", "message_ts": "1.1", "channel_id": "C1"},
     "response_url": "", "trigger_id": "t", "actions": [{"action_id": tier_ids.SHARE, "value": "1", "block_id": "b"}]},
    {"type": "block_actions", "user": {"id": "U1"}, "channel": {"id": "C1"}, "response_url": "", "trigger_id": "t",
     "actions": [{"action_id": digest_ids.ACK, "value": "T-1", "block_id": "b"}]},
    {"type": "block_actions", "user": {"id": "U1"}, "response_url": "", "trigger_id": "t",
     "actions": [{"action_id": decision_ids.OPEN, "value": "1", "block_id": "b"}]},
    {"type": "view_submission", "user": {"id": "U1"}, "trigger_id": "t",
     "view": {"id": "V1", "type": "modal", "hash": "h", "callback_id": decision_ids.FRAME, "private_metadata": "{}",
              "state": {"values": {}}}},
    {"type": "block_suggestion", "user": {"id": "U1"}, "action_id": decision_ids.ACCOUNTS_SEARCH, "value": "ac"},
    {"type": "event_callback", "event_id": "EvP", "event": {"type": "app_home_opened", "user": "U1", "tab": "home"}},
]  # fmt: skip

ODD_VALUES = st.one_of(
    st.none(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.text(max_size=300),
    st.just("\x00"),
    st.just("9" * 40),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
    st.booleans(),
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, inner in value.items():
            out += _paths(inner, (*prefix, key))
    elif isinstance(value, list):
        for i, inner in enumerate(value):
            out += _paths(inner, (*prefix, i))
    return out


def _mutate(payload: dict[str, Any], path: tuple[Any, ...], new: Any, delete: bool) -> dict[str, Any]:
    copy = json.loads(json.dumps(payload))
    target = copy
    for step in path[:-1]:
        target = target[step]
    if delete and isinstance(target, dict):
        target.pop(path[-1], None)
    else:
        target[path[-1]] = new
    return copy


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_mutated_payloads_of_every_surface_never_500(
    data: st.DataObject, slack: SlackHTTP, services: Services, fake_slack: FakeSlack
) -> None:
    payload = data.draw(st.sampled_from(SURFACES))
    path = data.draw(st.sampled_from(_paths(payload)))
    mutated = _mutate(payload, path, data.draw(ODD_VALUES), data.draw(st.booleans()))
    if mutated.get("type") == "event_callback":
        mutated["event_id"] = f"Ev{data.draw(st.integers(0, 10**9))}"
        response = slack.post(json.dumps(mutated), "application/json")
    else:
        response = slack.interaction(mutated)
    assert_clean(response)
