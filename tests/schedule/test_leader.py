"""Leader election: one leader among schedulers, a standby that takes over when the leader dies, and
two real `python -m bot scheduler` processes on PostgreSQL posting nothing twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.digest.periods import Cadence
from bot.digest.subscriptions import SubscribeRequest, subscribe
from bot.main import start_scheduler
from bot.schedule.leader import Lease, current_leader
from bot.services import Services
from storage.db import Database
from storage.models.schedule import SchedulerLease
from tests.conftest import add_account
from tests.fake_slack import FakeSlack
from tests.schedule.conftest import FakeClock, add_ticket

ROOT = Path(__file__).resolve().parents[2]


def test_one_leader_and_takeover_after_the_lease_expires(db: Database) -> None:
    now = datetime(2026, 11, 23, 9, tzinfo=UTC)
    a = Lease(db, timedelta(seconds=3), holder="a")
    b = Lease(db, timedelta(seconds=3), holder="b")
    assert a.renew(now) and not b.renew(now)
    assert a.renew(now + timedelta(seconds=2)) and not b.renew(now + timedelta(seconds=2))
    # a stops renewing (dead): b takes over once a's lease has run out, not before.
    assert not b.renew(now + timedelta(seconds=4))
    assert b.renew(now + timedelta(seconds=5, milliseconds=1))
    assert not a.renew(now + timedelta(seconds=6))  # a comes back: it is not leader any more
    assert current_leader(db, now + timedelta(seconds=6)) == "b"
    b.release()
    assert current_leader(db, now + timedelta(seconds=6)) is None
    assert a.renew(now + timedelta(seconds=6))


def test_background_scheduler_leads_and_hands_over_on_shutdown(services: Services, clock: FakeClock) -> None:
    clock.set(datetime.now(UTC))
    first = start_scheduler(services, tick_seconds=1)
    second = start_scheduler(
        Services(settings=services.settings, db=services.db, policy=services.policy, clock=clock),
        tick_seconds=1,
    )
    try:
        assert first.is_leader and not second.is_leader
        first.shutdown()
        assert current_leader(services.db, clock()) is None
        deadline = time.monotonic() + 5
        while not second.is_leader and time.monotonic() < deadline:
            time.sleep(0.05)
        assert second.is_leader  # took over at its next tick, without waiting for the TTL
    finally:
        first.shutdown()
        second.shutdown()


# -- two processes on PostgreSQL -------------------------------------------------------------------------


def _wait(condition: Callable[[], object], timeout: float, what: str, logs: Callable[[], str]) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}; scheduler logs:\n{logs()}")


def _due_now_subscription(db: Database, channel: str) -> None:
    """A daily subscription whose period is the current minute: due at the leader's next tick."""
    now = datetime.now(UTC)
    minute = now.replace(second=0, microsecond=0)
    if now - minute < timedelta(seconds=1):
        time.sleep(1)
    request = SubscribeRequest(None, Cadence("daily", "UTC", minute.strftime("%H:%M")), ())
    subscribe(db, channel, request, "USUB", minute - timedelta(hours=1))


@pytest.fixture
def processes(tmp_path: Path) -> Iterator[list[tuple[subprocess.Popen[bytes], Path]]]:
    started: list[tuple[subprocess.Popen[bytes], Path]] = []
    yield started
    for proc, _ in started:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=5)


def test_two_scheduler_processes_elect_one_leader_and_fail_over(
    db: Database, fake_slack: FakeSlack, tmp_path: Path, processes: list[tuple[subprocess.Popen[bytes], Path]]
) -> None:
    if db.is_sqlite:
        pytest.skip("the multi-process test runs on PostgreSQL (set TEST_DATABASE_URL)")
    from bot.policy.model import load_policy

    acct = add_account(db, load_policy(), "Acme Corp", 32000)
    add_ticket(db, "T-1", acct, "enterprise", datetime.now(UTC) - timedelta(days=1))  # breached: re-posts too
    _due_now_subscription(db, "CFIRST")
    env = os.environ | {
        "DATABASE_URL": db.url,
        "SLACK_BOT_TOKEN": "xoxb-scheduler-test",
        "SLACK_API_URL": fake_slack.url,
        "SCHEDULER_TICK_SECONDS": "1",
        "LOG_LEVEL": "INFO",
        "PYTHONUNBUFFERED": "1",
    }
    for name in ("a", "b"):
        log = tmp_path / f"{name}.log"
        with log.open("wb") as out:
            proc = subprocess.Popen(
                # `tierbot scheduler`, what the Procfile runs (the runner has no job list of its own).
                [sys.executable, "-m", "bot", "scheduler"],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        processes.append((proc, log))

    def logs() -> str:
        return "".join(path.read_text(errors="replace") for _, path in processes)

    _wait(
        lambda: logs().count("scheduler ") >= 2 and logs().count(" started ") == 2,
        15,
        "both schedulers",
        logs,
    )
    assert logs().count("became leader") == 1
    with db.session() as session:
        holder = session.scalar(select(SchedulerLease.holder))
    assert holder is not None
    leader_pid = int(holder.split(":")[1])
    by_pid = {proc.pid: proc for proc, _ in processes}
    assert set(by_pid) >= {leader_pid}

    def delivered(channel: str) -> bool:
        return any(c.params.get("channel") == channel for c in fake_slack.calls_to("chat.postMessage"))

    _wait(lambda: delivered("CFIRST"), 5, "the first digest", logs)
    by_pid[leader_pid].send_signal(signal.SIGKILL)  # no clean shutdown: the lease must expire
    by_pid[leader_pid].wait(timeout=5)
    _due_now_subscription(db, "CSECOND")

    survivor = next(proc for pid, proc in by_pid.items() if pid != leader_pid)
    _wait(
        lambda: current_leader(db, datetime.now(UTC)) not in (None, holder),
        6,
        "the standby to take over",
        logs,
    )
    assert f":{survivor.pid}:" in (current_leader(db, datetime.now(UTC)) or "")
    _wait(lambda: delivered("CSECOND"), 5, "a digest posted by the new leader", logs)

    survivor.send_signal(signal.SIGTERM)
    assert survivor.wait(timeout=10) == 0
    assert "released leadership" in logs()
    assert current_leader(db, datetime.now(UTC)) is None

    keys = Counter(
        c.params["metadata"]["event_payload"]["delivery"] for c in fake_slack.calls_to("chat.postMessage")
    )
    assert keys and all(n == 1 for n in keys.values()), keys
    assert {k.split("|")[0] for k in keys} >= {"digests", "breach-reposts"}
