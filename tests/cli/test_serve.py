"""`tierbot serve` under gunicorn, as the Procfile runs it: health, signed /tier, concurrent requests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from bot.policy.model import Policy
from storage.db import Database
from tests.conftest import add_account
from tests.fake_slack import FakeSlack, validate_message
from tests.slack_http import SIGNING_SECRET, SlackHTTP


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_answers_signed_requests_concurrently(
    db: Database, policy: Policy, fake_slack: FakeSlack
) -> None:
    add_account(db, policy, "Acme Corp", 32000, external_id="ACME-001")
    port = free_port()
    env = os.environ | {
        "DATABASE_URL": db.url,
        "SLACK_BOT_TOKEN": "xoxb-serve-test",
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": fake_slack.url,
    }
    tierbot = Path(sys.executable).with_name("tierbot")
    proc = subprocess.Popen(
        [
            str(tierbot),
            "serve",
            "--port",
            str(port),
            "--host",
            "127.0.0.1",
            "--workers",
            "2",
            "--threads",
            "2",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 60
        while True:
            try:
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert proc.poll() is None, proc.stdout.read().decode() if proc.stdout else ""
            assert time.time() < deadline, "server did not come up"
            time.sleep(0.2)
        slack = SlackHTTP(base_url=base, response_url=fake_slack.response_url())
        with ThreadPoolExecutor(8) as pool:
            responses = list(pool.map(lambda _: slack.command("/tier", "ACME-001"), range(32)))
        for response in responses:
            assert response.status_code == 200
            message = response.json()
            validate_message(message)
            assert message["text"] == "Acme Corp is Enterprise tier"
        assert slack.command("/tier", "acme", signed=False).status_code == 401
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    output = proc.stdout.read().decode() if proc.stdout else ""
    assert "xoxb-serve-test" not in output and SIGNING_SECRET not in output
