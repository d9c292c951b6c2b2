"""`tierbot jobs list|run`, `tierbot digest show` and `tierbot scheduler`, as an operator runs them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.config import get_settings
from bot.policy.model import Policy
from bot.schedule import ledger
from storage.db import Database
from tests.conftest import add_account
from tests.fake_slack import FakeSlack
from tests.schedule.conftest import add_subscription, add_ticket

runner = CliRunner()
AT = "2026-11-23T09:00:30+01:00"


@pytest.fixture
def seeded(db: Database, policy: Policy) -> None:
    acct = add_account(db, policy, "Acme Corp", 32000)
    pro = add_account(db, policy, "Globex", 9000)
    add_ticket(db, "T-100", acct, "enterprise", datetime(2026, 11, 20, tzinfo=UTC), subject="Checkout down")
    add_ticket(db, "P-200", pro, "professional", datetime(2026, 11, 20, tzinfo=UTC), subject="Slow exports")
    add_subscription(db, "CSUP", datetime(2026, 11, 22, 12, tzinfo=UTC))


@pytest.fixture
def with_slack(cli_env: dict[str, str], fake_slack: FakeSlack, monkeypatch: pytest.MonkeyPatch) -> FakeSlack:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-cli-test")
    monkeypatch.setenv("SLACK_API_URL", fake_slack.url)
    get_settings.cache_clear()
    return fake_slack


def test_jobs_list_shows_every_job_its_next_run_and_the_subscriptions(
    cli_env: dict[str, str], seeded: None
) -> None:
    result = runner.invoke(app, ["jobs", "list"], env={"COLUMNS": "220"})
    assert result.exit_code == 0, result.output
    for name in ("digests", "breach-reposts", "review-reminders", "review-triggers", "tier-recompute"):
        assert name in result.output
    assert "daily at 00:15 (UTC)" in result.output and "every 60 s" in result.output
    assert "#CSUP" in result.output and "daily at 09:00 (Europe/Paris)" in result.output
    assert "scheduler leader: none running" in result.output


def test_run_without_a_token_prints_what_it_would_post_and_records_nothing(
    cli_env: dict[str, str], seeded: None, db: Database
) -> None:
    result = runner.invoke(app, ["jobs", "run", "digests", "--at", AT])
    assert result.exit_code == 0, result.output
    assert "would post to #CSUP · daily:2026-11-23T09:00+01:00" in result.output
    assert "SLA digest · Mon 23 Nov 09:00 CET" in result.output
    assert "T-100" in result.output and "Checkout down" in result.output
    assert "[Acknowledge]" in result.output
    assert "printed instead of posted" in result.output
    assert ledger.rows(db) == []


def test_run_posts_once_through_the_ledger(with_slack: FakeSlack, seeded: None, db: Database) -> None:
    first = runner.invoke(app, ["jobs", "run", "digests", "--at", AT])
    assert first.exit_code == 0, first.output
    assert "sent      #CSUP · daily:2026-11-23T09:00+01:00" in first.output
    second = runner.invoke(app, ["jobs", "run", "digests", "--at", AT])
    assert second.exit_code == 0, second.output
    assert "nothing due" in second.output
    assert len(with_slack.calls_to("chat.postMessage")) == 1
    assert [r.status for r in ledger.rows(db, "digests")] == ["sent"]


def test_dry_run_with_a_token_posts_nothing(with_slack: FakeSlack, seeded: None, db: Database) -> None:
    result = runner.invoke(app, ["jobs", "run", "breach-reposts", "--at", AT, "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "would post to #CSUP" in result.output and "unacknowledged Enterprise SLA breach" in result.output
    assert with_slack.calls == [] and ledger.rows(db) == []


def test_run_unknown_job_and_bad_time(cli_env: dict[str, str]) -> None:
    result = runner.invoke(app, ["jobs", "run", "nope"])
    assert result.exit_code == 1 and "unknown job 'nope'" in result.output
    result = runner.invoke(app, ["jobs", "run", "digests", "--at", "tomorrow-ish"])
    assert result.exit_code == 1 and "is not an ISO time" in result.output


def test_digest_show_lists_everything_ranked(cli_env: dict[str, str], seeded: None) -> None:
    result = runner.invoke(app, ["digest", "show"])
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if line.strip()[:1].isdigit()]
    assert "T-100" in lines[0] and "P-200" in lines[1]
    assert "2 breached or at-risk ticket(s)" in result.output
    only = runner.invoke(app, ["digest", "show", "--tier", "professional"])
    assert "P-200" in only.output and "T-100" not in only.output
    bad = runner.invoke(app, ["digest", "show", "--tiers", "platinum"])
    assert bad.exit_code == 1 and "unknown tier 'platinum'" in bad.output


def test_scheduler_command_stops_cleanly_on_sigterm(
    cli_env: dict[str, str], db: Database, tmp_path: Path
) -> None:
    if not db.is_sqlite:
        pytest.skip("one backend is enough for the process plumbing")
    log = tmp_path / "scheduler.log"
    env = os.environ | {"DATABASE_URL": db.url, "SCHEDULER_TICK_SECONDS": "1", "PYTHONUNBUFFERED": "1"}
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "scheduler"],
            cwd=tmp_path,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 15
        while "started" not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert "became leader" in log.read_text(), log.read_text()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    text = log.read_text()
    assert "released leadership" in text and "stopped" in text
    assert "Traceback" not in text
