"""The WSGI server around Bolt: health checks, unknown paths, and secrets kept out of logs."""

from __future__ import annotations

import logging
import time

import httpx
import pytest
from slack_bolt import BoltRequest
from slack_sdk import WebClient
from sqlalchemy import text

from bot.logs import install_redaction
from bot.main import create_app
from bot.services import Services
from storage.db import Database, head_revisions
from tests.fake_slack import FakeSlack
from tests.slack_http import SlackHTTP, raw_request, sign


def test_healthz_reports_database_state(app_url: str, services: Services) -> None:
    assert httpx.get(app_url + "/healthz").json() == {"ok": True}
    services.db = Database(
        "postgresql+psycopg://nobody@127.0.0.1:1/none", connect_args={"connect_timeout": 1}
    )
    response = httpx.get(app_url + "/healthz")
    assert response.status_code == 503
    assert response.json()["error"] == "database unreachable"


def test_unknown_path_is_404(app_url: str) -> None:
    assert httpx.post(app_url + "/nope", content=b"x").status_code == 404


def test_tokens_and_secret_never_reach_the_log(
    caplog: pytest.LogCaptureFixture, fake_slack: FakeSlack, services: Services
) -> None:
    token = "xoxb-1234-5678-abcdefSECRET"
    secret = services.settings.slack_signing_secret.get_secret_value()  # type: ignore[union-attr]
    root = logging.getLogger()
    handler = caplog.handler
    root.addHandler(handler)
    try:
        install_redaction((secret,))
        caplog.set_level(logging.DEBUG)
        # slack_sdk redacts the Authorization header itself, but logs body params as they are.
        WebClient(base_url=fake_slack.url).api_call("auth.test", data={"token": token})
        logging.getLogger("x").info("signing with %s", secret)
        logged = "\n".join(r.getMessage() for r in caplog.records)
        assert "auth.test" in logged  # slack_sdk did log the call...
        assert token not in logged and secret not in logged  # ...without the secrets
    finally:
        root.removeHandler(handler)


def test_healthz_is_503_while_the_schema_is_behind_the_newest_migration(app_url: str, db: Database) -> None:
    heads = head_revisions()
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0003_tickets'"))
    response = httpx.get(app_url + "/healthz")
    assert response.status_code == 503
    error = response.json()["error"]
    assert "0003_tickets" in error and all(head in error for head in heads)
    assert "tierbot db upgrade" in error


def test_a_body_over_the_limit_is_refused_before_it_is_read(app_url: str) -> None:
    # 100 MB announced, none of it sent: the answer cannot wait for (or buffer) the body.
    head = (
        b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        b"Content-Length: 100000000\r\n\r\n"
    )
    started = time.monotonic()
    status, _ = raw_request(app_url, head)
    assert status == 413 and time.monotonic() - started < 2


def test_a_chunked_body_is_read_at_most_one_byte_past_the_limit(app_url: str, services: Services) -> None:
    # No length: the guard reads limit + 1 bytes and stops. (This test server passes the chunked
    # stream through undecoded; exactly limit + 1 bytes are sent, so none is left unread.)
    limit = services.settings.max_body_bytes
    chunk = b"a" * 65536
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(limit // len(chunk) + 2))
    head = b"POST /slack/events HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
    status, _ = raw_request(app_url, head, chunks[: limit + 1])
    assert status == 413


def test_a_signed_body_under_the_limit_still_reaches_bolt(slack: SlackHTTP, services: Services) -> None:
    padding = "x" * (services.settings.max_body_bytes - 1000)  # a field Bolt and the handler ignore
    response = slack.form({"command": "/tier", "text": "help", "user_id": "U1", "padding": padding})
    assert response.status_code == 200
    assert "tier" in response.json()["text"].lower()


MARKER = "zq-MARKER-8f41"


@pytest.mark.parametrize(
    ("body", "content_type", "headers"),
    [
        pytest.param(f"payload=%7Bbad{MARKER}", "application/x-www-form-urlencoded", {}, id="bad-payload"),
        pytest.param(f'["{MARKER}"]', "application/json", {}, id="json-array"),
        pytest.param(
            f"command=/tier&text={MARKER}",
            "application/x-www-form-urlencoded",
            {"X-Slack-Request-Timestamp": "soon", "X-Slack-Signature": "v0=00"},
            id="timestamp-not-a-number",
        ),
        pytest.param(
            f"command=/tier&text={MARKER}",
            "application/x-www-form-urlencoded",
            {"X-Slack-Request-Timestamp": "1700000000", "X-Slack-Signature": "v0=00"},
            id="stale",
        ),
        pytest.param(
            f"command=/tier&text={MARKER}",
            "application/x-www-form-urlencoded",
            sign(f"command=/tier&text={MARKER}", secret="not-the-secret-000000"),
            id="wrong-secret",
        ),
    ],
)
def test_unsigned_bodies_get_401_and_are_never_logged(
    app_url: str,
    caplog: pytest.LogCaptureFixture,
    body: str,
    content_type: str,
    headers: dict[str, str],
) -> None:
    caplog.set_level(logging.DEBUG)
    response = httpx.post(
        app_url + "/slack/events", content=body.encode(), headers={"Content-Type": content_type, **headers}
    )
    assert response.status_code == 401
    assert response.json() == {"error": "invalid request"}
    logged = "\n".join(r.getMessage() + (r.exc_text or "") for r in caplog.records)
    assert MARKER not in logged and "Traceback" not in logged
    assert f"({len(body.encode())}-byte body not logged)" in logged


def test_bolt_itself_never_logs_a_refused_body(services: Services, caplog: pytest.LogCaptureFixture) -> None:
    # Anything that hands a request to Bolt without the guard (another adapter) gets the same rule.
    caplog.set_level(logging.DEBUG)
    body = f"command=/tier&text={MARKER}"
    response = create_app(services).dispatch(
        BoltRequest(body=body, headers={"x-slack-request-timestamp": "1", "x-slack-signature": "v0=00"})
    )
    assert response.status == 401
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert MARKER not in logged
    assert f"({len(body)}-byte body not logged)" in logged
