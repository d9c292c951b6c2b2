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

from bench.slow_clients import SlowClients, probe_while, signed_tier
from bot.policy.model import Policy
from storage.db import Database
from storage.models.schedule import SchedulerLease
from tests.conftest import add_account
from tests.fake_slack import FakeSlack, validate_message
from tests.slack_http import SIGNING_SECRET, SlackHTTP, raw_request


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_serve(
    db: Database, fake_slack: FakeSlack, *extra: str, **env_extra: str
) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = os.environ | {
        "DATABASE_URL": db.url,
        "SLACK_BOT_TOKEN": "xoxb-serve-test",
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": fake_slack.url,
        **env_extra,
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
            *extra,
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while True:
        try:
            if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            pass
        assert proc.poll() is None, proc.stdout.read().decode() if proc.stdout else ""
        assert time.time() < deadline, "server did not come up"
        time.sleep(0.2)


def stop(proc: subprocess.Popen[bytes]) -> str:
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=30)
    return proc.stdout.read().decode() if proc.stdout else ""


def test_serve_answers_signed_requests_concurrently(
    db: Database, policy: Policy, fake_slack: FakeSlack
) -> None:
    add_account(db, policy, "Acme Corp", 32000, external_id="ACME-001")
    proc, base = start_serve(db, fake_slack)
    try:
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
        output = stop(proc)
    assert "xoxb-serve-test" not in output and SIGNING_SECRET not in output


def test_serve_with_scheduler_runs_the_schedule_in_the_workers(db: Database, fake_slack: FakeSlack) -> None:
    proc, _base = start_serve(db, fake_slack, "--with-scheduler", SCHEDULER_TICK_SECONDS="1")
    try:
        deadline = time.time() + 30
        holder = None
        while holder is None and time.time() < deadline:
            with db.session() as session:
                lease = session.get(SchedulerLease, "scheduler")
                holder = lease.holder if lease is not None else None
            time.sleep(0.3)
        assert holder, "no scheduler took the lease"
    finally:
        stop(proc)


def test_slow_clients_do_not_starve_the_server(db: Database, policy: Policy, fake_slack: FakeSlack) -> None:
    # 20 connections trickling one header line per second held all 8 threads of the gthread set-up
    # (2 workers x 4 threads): /healthz and /tier went unanswered while they lasted. The full 20 s
    # case, with the old set-up beside it: bench/slow_clients.py.
    add_account(db, policy, "Acme Corp", 32000, external_id="ACME-001")
    proc, base = start_serve(db, fake_slack)  # the default 2 workers x 4 threads of `tierbot serve`
    try:
        signed_tier(httpx.Client(), base, "acme", SIGNING_SECRET)  # warm both workers' first answer
        signed_tier(httpx.Client(), base, "acme", SIGNING_SECRET)
        with SlowClients(base, 20) as slow:
            time.sleep(1.5)  # every slow connection has been accepted and has sent a header line
            probes = probe_while(base, 4, SIGNING_SECRET)
        assert slow.closed_by_server == 0  # they were held open, not dropped
    finally:
        stop(proc)
    assert len(probes.healthz) >= 4 and len(probes.tier) >= 4
    assert probes.slowest < 1.0, probes.summary()


def test_serve_refuses_big_and_unsigned_bodies_without_logging_them(
    db: Database, fake_slack: FakeSlack
) -> None:
    proc, base = start_serve(db, fake_slack, MAX_BODY_BYTES="2000")
    marker = "zq-MARKER-5c1d"
    try:
        client = httpx.Client(timeout=10)
        # 3,000 bytes announced, none sent: refused from the header alone.
        announced = b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Length: 3000\r\n\r\n"
        assert raw_request(base, announced)[0] == 413
        # Chunked, no length: refused once past the limit (waitress decodes chunks and counts).
        chunked = b"POST /slack/events HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        chunks = b"".join(b"%x\r\n%s\r\n" % (1500, b"x" * 1500) for _ in range(2))
        assert raw_request(base, chunked, chunks + b"0\r\n\r\n")[0] == 413
        unsigned = f"payload=%7Bbad{marker}"
        response = client.post(
            base + "/slack/events",
            content=unsigned,
            headers={"Content-Type": "application/x-www-form-urlencoded", "X-Slack-Request-Timestamp": "x"},
        )
        assert response.status_code == 401
    finally:
        output = stop(proc)
    assert marker not in output and "Traceback" not in output
    assert f"({len(unsigned)}-byte body not logged)" in output
