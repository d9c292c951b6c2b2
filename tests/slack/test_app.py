"""Events API retries: a delivery Slack repeats runs once; a failed one runs again on retry."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any
from wsgiref.simple_server import make_server

import pytest
from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler

from bot.main import create_app
from bot.services import Services
from tests.conftest import _QuietHandler, _ThreadingWSGIServer
from tests.fake_slack import FakeSlack
from tests.slack_http import SlackHTTP


@pytest.fixture
def bolt(services: Services) -> App:
    return create_app(services)


@pytest.fixture
def events(bolt: App, fake_slack: FakeSlack) -> Iterator[SlackHTTP]:
    server = make_server("127.0.0.1", 0, SlackRequestHandler(bolt), _ThreadingWSGIServer, _QuietHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield SlackHTTP(f"http://127.0.0.1:{server.server_address[1]}", fake_slack.response_url())
    server.shutdown()
    server.server_close()


def test_retried_event_runs_once(bolt: App, events: SlackHTTP) -> None:
    seen: list[str] = []

    @bolt.event("app_mention")
    def mention(event: dict[str, Any]) -> None:
        seen.append(event["text"])

    event = {"type": "app_mention", "user": "U1", "text": "hi", "channel": "C1", "ts": "1.1"}
    assert events.event(event, event_id="Ev42").status_code == 200
    assert events.event(event, event_id="Ev42", retry_num=1).status_code == 200
    assert events.event(event, event_id="Ev43").status_code == 200
    assert seen == ["hi", "hi"]  # Ev42 once, Ev43 once


def test_failed_event_is_done_on_retry(bolt: App, events: SlackHTTP) -> None:
    attempts: list[int] = []

    @bolt.event("app_mention")
    def mention() -> None:
        attempts.append(1)
        if len(attempts) == 1:
            raise RuntimeError("transient")

    event = {"type": "app_mention", "user": "U1", "text": "hi", "channel": "C1", "ts": "1.1"}
    assert events.event(event, event_id="Ev7").status_code == 500
    assert events.event(event, event_id="Ev7", retry_num=1).status_code == 200
    assert events.event(event, event_id="Ev7", retry_num=2).status_code == 200
    assert len(attempts) == 2
