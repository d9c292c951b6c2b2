"""Driving the decision modal the way Slack does: take the view tierbot sent, fill its inputs' state
(initial values count as typed, like in Slack), and submit it back over signed HTTP."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import httpx
from sqlalchemy import func, select

from bot.services import Services
from bot.slack.server import create_wsgi
from bot.views import decision_ids as ids
from storage.db import Database
from storage.models.decisions import Decision
from tests.fake_slack import FakeSlack, validate_message, validate_view
from tests.slack_http import SlackHTTP

View = dict[str, Any]


def today() -> date:
    return datetime.now(UTC).date()


def days(n: int) -> str:
    return (today() + timedelta(days=n)).isoformat()


def sent_view(fake: FakeSlack, method: str, index: int = -1) -> View:
    calls = fake.calls_to(method)
    assert calls, f"no {method} call; calls were {[c.method for c in fake.calls]}"
    view = calls[index].params["view"]
    return json.loads(view) if isinstance(view, str) else view


def _option(element: dict[str, Any], value: str) -> dict[str, Any]:
    for option in element.get("options", []):
        if option["value"] == value:
            return option
    # External selects (and deliberately forged payloads) carry options the view does not list.
    return {"text": {"type": "plain_text", "text": value}, "value": value}


def _entry(element: dict[str, Any], answer: Any) -> dict[str, Any]:
    kind = element["type"]
    entry: dict[str, Any] = {"type": kind}
    if kind in ("plain_text_input", "number_input"):
        entry["value"] = answer if answer is not ... else element.get("initial_value")
    elif kind == "datepicker":
        entry["selected_date"] = answer if answer is not ... else element.get("initial_date")
    elif kind == "users_select":
        entry["selected_user"] = answer if answer is not ... else element.get("initial_user")
    elif kind in ("static_select", "radio_buttons"):
        if answer is ...:
            entry["selected_option"] = element.get("initial_option")
        else:
            entry["selected_option"] = _option(element, answer) if answer is not None else None
    elif kind in ("multi_static_select", "multi_external_select"):
        if answer is ...:
            entry["selected_options"] = element.get("initial_options", [])
        else:
            entry["selected_options"] = [_option(element, str(v)) for v in answer]
    else:
        raise AssertionError(f"no state for {kind}")
    return entry


def state_of(view: View, answers: dict[str, Any] | None = None) -> dict[str, Any]:
    answers = answers or {}
    unknown = set(answers) - {b.get("block_id") for b in view["blocks"]}
    assert not unknown, f"answers for blocks not in the view: {unknown}"
    values: dict[str, Any] = {}
    for block in view["blocks"]:
        if block["type"] != "input":
            continue
        element = block["element"]
        values[block["block_id"]] = {
            element["action_id"]: _entry(element, answers.get(block["block_id"], ...))
        }
    return {"values": values}


def submitted(
    view: View, answers: dict[str, Any] | None = None, view_id: str = "V1", hash_: str = "h1"
) -> View:
    return {**view, "id": view_id, "hash": hash_, "state": state_of(view, answers)}


def submit(
    slack: SlackHTTP, view: View, answers: dict[str, Any] | None = None, user: str = "U1", **kw: Any
) -> dict[str, Any]:
    response = slack.view_submission(submitted(view, answers, **kw), user_id=user)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json() if response.content else {}
    if body.get("response_action") in ("update", "push"):
        validate_view(body["view"])
    return body


def wait_for(fake: FakeSlack, method: str, count: int = 1, timeout: float = 5.0) -> list[Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        calls = fake.calls_to(method)
        if len(calls) >= count:
            return calls
        time.sleep(0.02)
    raise AssertionError(f"expected {count} {method} call(s), got {len(fake.calls_to(method))}")


def posted(fake: FakeSlack, count: int = 1) -> dict[str, Any]:
    """The latest record posted, once `count` posts arrived (the lazy listener posts after the ack)."""
    params = wait_for(fake, "chat.postMessage", count)[-1].params
    message = {
        "channel": params["channel"],
        "text": params.get("text"),
        "blocks": json.loads(params["blocks"])
        if isinstance(params.get("blocks"), str)
        else params.get("blocks"),
    }
    validate_message(message)
    return message


def block_action_in_view(
    slack: SlackHTTP, action_id: str, value: str, view: View, user: str = "U1"
) -> httpx.Response:
    return slack.block_action(action_id, value, user_id=user, view=view)


def select_action(
    slack: SlackHTTP, action_id: str, value: str, user: str = "U1", message_ts: str = "1700000000.000001"
) -> httpx.Response:
    """A static-select choice in a channel message (slack.block_action only builds buttons)."""
    payload = {
        "type": "block_actions",
        "user": {"id": user, "username": user.lower(), "team_id": slack.team_id},
        "trigger_id": f"trig-{time.monotonic_ns()}",
        "response_url": slack.response_url,
        "channel": {"id": "CDECISIONS", "name": "decisions"},
        "container": {"type": "message", "message_ts": message_ts, "channel_id": "CDECISIONS"},
        "actions": [
            {
                "type": "static_select",
                "action_id": action_id,
                "block_id": ids.RECORD_ACTIONS_BLOCK,
                "selected_option": {"text": {"type": "plain_text", "text": value}, "value": value},
                "action_ts": str(time.time()),
            }
        ],
    }
    return slack.interaction(payload)


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def second_server(services: Services) -> Iterator[str]:
    """Another tierbot process in all but name: new Services, new Bolt app, new HTTP server."""
    fresh = Services(
        settings=services.settings,
        db=type(services.db)(services.db.url),
        policy=services.policy,
        version_ttl=0.0,
    )
    server = make_server("127.0.0.1", 0, create_wsgi(fresh), _Server, _Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        fresh.db.dispose()


FRAME_ANSWERS = {
    ids.TITLE: "Should Professional accounts get 24x7 sev1 coverage?",
    ids.OBJECTIVE: "Faster sev1 resolution for Professional without a cost jump.",
    ids.SCOPE: "Professional tier, sev1 only.",
}
COMPARE_ANSWERS = {
    ids.EVIDENCE: "Q4: 41 Professional sev1 tickets, median resolution 11h vs 4h for Enterprise.",
    ids.ASSUMPTIONS: "Night-shift volume stays under 5 a week.",
    ids.METRIC_BASELINE.format(metric="resolution_time"): "11h",
    ids.METRIC_TARGET.format(metric="resolution_time"): "6h",
}


def commit_answers(**extra: Any) -> dict[str, Any]:
    return {
        ids.CHOSEN: "B",
        ids.RATIONALE: "A staged pilot lets us learn before hiring.",
        ids.REVIEW_DATE: days(30),
        ids.REVERSAL_SIGNAL: "Cost per Professional account up more than 15% for two months.",
        ids.TRIGGER.format(n=1, part="metric"): "resolution_time",
        ids.TRIGGER.format(n=1, part="scope"): "tier:enterprise",
        ids.TRIGGER.format(n=1, part="comparison"): ">",
        ids.TRIGGER.format(n=1, part="threshold"): "8",
        **extra,
    }


# -- walking the whole modal ---------------------------------------------------------------------------
def count(db: Database, model: type = Decision) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def blob(message: dict[str, Any]) -> str:
    return json.dumps(message.get("blocks") or message, ensure_ascii=False)


def updated(fake: FakeSlack, n: int = 1) -> str:
    """The blocks of the latest chat.update, once at least `n` arrived (the lazy listener posts them)."""
    blocks = wait_for(fake, "chat.update", n)[-1].params["blocks"]
    return blocks if isinstance(blocks, str) else json.dumps(blocks, ensure_ascii=False)


def open_modal(slack: SlackHTTP, fake: FakeSlack, user: str = "U1", text: str = "") -> View:
    response = slack.command("/decision", text, user_id=user, channel_id="C1")
    assert response.status_code == 200, response.text
    view = sent_view(fake, "views.open")
    validate_view(view)
    assert view["callback_id"] == ids.FRAME
    return view


def to_compare(slack: SlackHTTP, fake: FakeSlack, user: str = "U1", **answers: Any) -> View:
    frame = open_modal(slack, fake, user)
    body = submit(slack, frame, {**FRAME_ANSWERS, **answers}, user=user)
    assert body["response_action"] == "update", body
    assert body["view"]["callback_id"] == ids.COMPARE
    return body["view"]


def to_commit(slack: SlackHTTP, fake: FakeSlack, user: str = "U1", **answers: Any) -> View:
    body = submit(slack, to_compare(slack, fake, user), {**COMPARE_ANSWERS, **answers}, user=user)
    assert body["response_action"] == "update", body
    assert body["view"]["callback_id"] == ids.COMMIT
    return body["view"]


def record_flow(
    slack: SlackHTTP, fake: FakeSlack, user: str = "U1", frame: dict[str, Any] | None = None
) -> int:
    frame_view = open_modal(slack, fake, user)
    compare = submit(slack, frame_view, {**FRAME_ANSWERS, **(frame or {})}, user=user)["view"]
    commit = submit(slack, compare, COMPARE_ANSWERS, user=user)["view"]
    assert submit(slack, commit, commit_answers(), user=user) == {"response_action": "clear"}
    message = posted(fake)
    return int(message["blocks"][0]["text"]["text"].split(" ")[0].removeprefix("D-"))
