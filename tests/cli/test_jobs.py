"""`tierbot jobs list|run`, `tierbot digest show` and `tierbot scheduler`, as an operator runs them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
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


def _future(days: int = 2) -> str:
    """`days` from today, just after the subscription's 09:00 (Paris): a period that a run posts."""
    day = datetime.now(UTC).date() + timedelta(days=days)
    return f"{day.isoformat()}T09:00:30+01:00"


def _checked_until(db: Database) -> datetime | None:
    from storage.models.schedule import DigestSubscription

    with db.session() as session:
        sub = session.query(DigestSubscription).one()
        return sub.checked_until


def test_a_future_at_is_refused_unless_dry_run(with_slack: FakeSlack, seeded: None, db: Database) -> None:
    before = _checked_until(db)
    refused = runner.invoke(app, ["jobs", "run", "digests", "--at", _future()])
    assert refused.exit_code == 2, refused.output
    assert "in the future" in refused.output and "--dry-run" in refused.output and "--force" in refused.output
    assert with_slack.calls == [] and ledger.rows(db) == [] and _checked_until(db) == before
    # Other jobs key what they record to the time too.
    assert runner.invoke(app, ["jobs", "run", "breach-reposts", "--at", _future()]).exit_code == 2

    preview = runner.invoke(app, ["jobs", "run", "digests", "--at", _future(), "--dry-run"])
    assert preview.exit_code == 0, preview.output
    assert "would post to #CSUP" in preview.output
    assert with_slack.calls == [] and ledger.rows(db) == [] and _checked_until(db) == before
    # A minute's slack: an --at typed to the current minute is now, not the future.
    soon = (datetime.now(UTC) + timedelta(seconds=30)).isoformat(timespec="seconds")
    now = runner.invoke(app, ["jobs", "run", "digests", "--at", soon])
    assert now.exit_code == 0, now.output


def test_force_says_what_it_marks_and_marks_it(with_slack: FakeSlack, seeded: None, db: Database) -> None:
    at = _future()
    result = runner.invoke(app, ["jobs", "run", "digests", "--at", at, "--force"], env={"COLUMNS": "220"})
    assert result.exit_code == 0, result.output
    assert "--force: running digests as of" in result.output and "will not post them again" in result.output
    rows = ledger.rows(db, "digests")
    listed = next(line for line in result.output.splitlines() if line.strip().startswith("#CSUP"))
    assert f"{len(rows)} period(s)" in listed
    assert rows[-1].period in listed and rows[0].period in listed  # the oldest and the newest are named
    assert sorted(r.status for r in rows).count("sent") == 1
    assert _checked_until(db) == datetime.fromisoformat(at)
    # The schedule, come that time, finds every one of them done.
    again = runner.invoke(app, ["jobs", "run", "digests", "--at", at, "--force"])
    assert "nothing due" in again.output and len(with_slack.calls_to("chat.postMessage")) == 1


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
