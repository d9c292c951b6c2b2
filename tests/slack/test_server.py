"""The WSGI server around Bolt: health checks, unknown paths, and secrets kept out of logs."""

from __future__ import annotations

import logging

import httpx
import pytest
from slack_sdk import WebClient

from bot.logs import install_redaction
from bot.services import Services
from tests.fake_slack import FakeSlack


def test_healthz_reports_database_state(app_url: str, services: Services) -> None:
    assert httpx.get(app_url + "/healthz").json() == {"ok": True}
    from storage.db import Database

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
