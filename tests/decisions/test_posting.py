"""A committed decision is always posted, exactly once, where it belongs (issue 9, item 6): its post and
its updates go through the delivery ledger, queued with the record, attempted at once by the lazy
listener and retried by the `decision-posts` job; over signed HTTP and the Slack fake."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import typer
from sqlalchemy import select
from typer.testing import CliRunner

from bot.cli import decisions as decisions_cli
from bot.config import get_settings
from bot.decisions.delivery import JOB
from bot.jobs import job_names, run_job
from bot.schedule import ledger
from bot.services import Services
from bot.views import decision_ids as ids
from storage.db import Database
from storage.models.decisions import Decision
from tests.decisions.flow import commit_answers, sent_view, submit, to_commit, updated, wait_for
from tests.fake_slack import Call, FakeSlack
from tests.schedule.conftest import FakeClock
from tests.slack_http import SlackHTTP


@pytest.fixture
def clock(services: Services) -> FakeClock:
    """Today's date (the modal's dates are relative to it), frozen so the job's back-off can be skipped."""
    fake = FakeClock(datetime.now(UTC).replace(microsecond=0))
    services.clock = fake
    return fake


def posts(fake: FakeSlack, channel: str | None = None) -> list[Call]:
    return [c for c in fake.calls_to("chat.postMessage") if channel in (None, c.params["channel"])]


def commit(slack: SlackHTTP, fake: FakeSlack) -> None:
    assert submit(slack, to_commit(slack, fake), commit_answers()) == {"response_action": "clear"}


def settle(fake: FakeSlack, method: str, count: int, seconds: float = 0.3) -> list[Call]:
    """The lazy listener's calls, once `count` arrived and nothing more came for a moment."""
    wait_for(fake, method, count)
    time.sleep(seconds)
    return fake.calls_to(method)


def where_posted(db: Database, decision_id: int = 1) -> tuple[str | None, str | None]:
    with db.session() as session:
        decision = session.get(Decision, decision_id)
        assert decision is not None
        return decision.message_channel, decision.message_ts


def ephemeral_texts(fake: FakeSlack) -> list[str]:
    return [
        json.dumps(c.params.get("blocks") or c.params.get("text"))
        for c in fake.calls_to("chat.postEphemeral")
    ]


def dm_texts(fake: FakeSlack, user: str = "U1") -> list[str]:
    return [json.dumps(c.params.get("blocks")) for c in posts(fake, f"D{user}")]


def test_the_job_is_registered() -> None:
    assert "decision-posts" in job_names()


def test_a_500_is_retried_by_the_job_which_stores_the_ts_so_changes_update_the_message(
    slack: SlackHTTP, fake_slack: FakeSlack, db: Database, services: Services, clock: FakeClock
) -> None:
    fake_slack.fail("chat.postMessage", 500, error="internal_error")
    commit(slack, fake_slack)
    settle(fake_slack, "chat.postEphemeral", 1)
    assert len(posts(fake_slack)) == 1  # the refused attempt, and nothing posted anywhere else
    assert "D-1 is recorded. Slack did not take its post yet" in ephemeral_texts(fake_slack)[0]
    [row] = ledger.rows(db, JOB)
    assert (row.target, row.period, row.status, row.attempts) == ("CDECISIONS", "1", "pending", 1)
    assert where_posted(db) == (None, None)

    assert run_job(services, "decision-posts").outcomes == []  # back-off (30 s) not over
    clock.advance(seconds=31)
    report = run_job(services, "decision-posts")
    assert [(o.key.target, o.status) for o in report.outcomes] == [("CDECISIONS", "sent"), ("dm:U1", "sent")]
    assert [c.params["channel"] for c in posts(fake_slack)] == ["CDECISIONS", "CDECISIONS", "DU1"]
    channel, ts = where_posted(db)
    assert channel == "CDECISIONS" and ts is not None
    assert "D-1 is posted in &lt;#CDECISIONS&gt;" not in dm_texts(fake_slack)[0]
    assert "D-1 is posted in <#CDECISIONS> now" in dm_texts(fake_slack)[0]
    clock.advance(minutes=20)
    assert run_job(services, "decision-posts").outcomes == []  # posted once

    # The stored ts is what a later change updates.
    slack.block_action(ids.REVERSE, "1", user_id="U1", channel_id="CDECISIONS")
    form = sent_view(fake_slack, "views.open")
    assert submit(slack, form, {ids.REASON: "Cost per account up 22%"}, view_id="VR1") == {
        "response_action": "clear"
    }
    [update] = wait_for(fake_slack, "chat.update")
    assert (update.params["channel"], update.params["ts"]) == ("CDECISIONS", ts)
    assert "*Status*\\nreversed" in updated(fake_slack)


def test_a_timeout_is_checked_in_history_and_not_posted_twice(
    slack: SlackHTTP, fake_slack: FakeSlack, db: Database, services: Services, clock: FakeClock
) -> None:
    # Slack takes the post but answers after the request client's 3 s: the outcome is unknown.
    fake_slack.delay("chat.postMessage", 3.5)
    commit(slack, fake_slack)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and "uncertain" not in str(ledger.rows(db, JOB)[0].last_error):
        time.sleep(0.1)
    [row] = ledger.rows(db, JOB)
    assert row.status == "pending" and (row.last_error or "").startswith("uncertain: ")
    clock.advance(seconds=31)
    report = run_job(services, "decision-posts")
    assert [o.status for o in report.outcomes][:1] == ["sent"]
    assert len(fake_slack.calls_to("conversations.history")) == 1  # looked before posting again
    assert len(posts(fake_slack, "CDECISIONS")) == 1  # found there: not posted twice
    channel, ts = where_posted(db)
    assert channel == "CDECISIONS" and ts == fake_slack.history["CDECISIONS"][0]["ts"]


def test_a_429_on_the_decisions_channel_waits_there_and_never_reroutes(
    slack: SlackHTTP, fake_slack: FakeSlack, db: Database, services: Services, clock: FakeClock
) -> None:
    fake_slack.fail("chat.postMessage", 429, retry_after=120)
    commit(slack, fake_slack)
    settle(fake_slack, "chat.postEphemeral", 1)
    assert [c.params["channel"] for c in posts(fake_slack)] == ["CDECISIONS"]  # not C1
    [row] = ledger.rows(db, JOB)
    assert row.next_attempt_at == clock() + timedelta(seconds=120)
    clock.advance(seconds=60)
    assert run_job(services, "decision-posts").outcomes == []  # Retry-After honoured
    clock.advance(seconds=61)
    run_job(services, "decision-posts")
    assert [c.params["channel"] for c in posts(fake_slack)] == ["CDECISIONS", "CDECISIONS", "DU1"]
    assert where_posted(db)[0] == "CDECISIONS"


@pytest.fixture
def cli(db: Database, monkeypatch: pytest.MonkeyPatch, fake_slack: FakeSlack) -> Iterator[typer.Typer]:
    monkeypatch.setenv("DATABASE_URL", db.url)
    monkeypatch.setenv("DECISIONS_CHANNEL", "CDECISIONS")
    monkeypatch.delenv("TIER_POLICY_FILE", raising=False)
    get_settings.cache_clear()
    app = typer.Typer()
    decisions_cli.register(app, typer.Typer())
    yield app
    get_settings.cache_clear()


def test_given_up_tells_the_author_why_and_repost_queues_it_again(
    slack: SlackHTTP,
    fake_slack: FakeSlack,
    db: Database,
    services: Services,
    clock: FakeClock,
    cli: typer.Typer,
) -> None:
    fake_slack.not_in_channel.add("CDECISIONS")
    commit(slack, fake_slack)
    wait_for(fake_slack, "chat.postMessage", 2)  # the refused post, then the DM to the author
    time.sleep(0.3)
    assert [c.params["channel"] for c in posts(fake_slack)] == ["CDECISIONS", "DU1"]
    [dm] = dm_texts(fake_slack)
    assert "D-1 is saved, but tierbot could not post it in <#CDECISIONS>" in dm and "not_in_channel" in dm
    assert "tierbot decisions repost D-1" in dm
    post = ledger.rows(db, JOB)[0]
    assert (post.status, post.attempts) == ("given_up", 1)
    clock.advance(minutes=20)
    assert run_job(services, "decision-posts").outcomes == []  # given up stays given up

    fake_slack.not_in_channel.discard("CDECISIONS")  # invited: the operator reposts it
    result = CliRunner().invoke(cli, ["decisions", "repost", "D-1"])
    assert result.exit_code == 0, result.output
    assert "D-1 is queued for CDECISIONS" in result.output
    assert [o.status for o in run_job(services, "decision-posts").outcomes] == ["sent"]
    assert [c.params["channel"] for c in posts(fake_slack)] == ["CDECISIONS", "DU1", "CDECISIONS"]
    assert where_posted(db)[0] == "CDECISIONS"
    again = CliRunner().invoke(cli, ["decisions", "repost", "D-1"])
    assert again.exit_code == 0 and "already posted" in again.output
    assert CliRunner().invoke(cli, ["decisions", "repost", "D-9"]).exit_code == 1


def test_posted_elsewhere_the_author_is_told_where(
    slack: SlackHTTP, fake_slack: FakeSlack, db: Database, clock: FakeClock
) -> None:
    commit(slack, fake_slack)
    settle(fake_slack, "chat.postEphemeral", 1)
    assert [c.params["channel"] for c in posts(fake_slack)] == ["CDECISIONS"]
    [told] = fake_slack.calls_to("chat.postEphemeral")
    assert (told.params["channel"], told.params["user"]) == ("C1", "U1")
    assert "D-1 is recorded and posted in <#CDECISIONS>" in ephemeral_texts(fake_slack)[0]
    with db.session() as session:
        assert session.scalars(select(Decision.message_channel)).one() == "CDECISIONS"
    assert [r.status for r in ledger.rows(db, JOB)] == ["sent"]


def test_a_ts_lost_between_sent_and_stored_is_taken_from_the_ledger(
    slack: SlackHTTP, fake_slack: FakeSlack, db: Database, clock: FakeClock
) -> None:
    commit(slack, fake_slack)
    settle(fake_slack, "chat.postEphemeral", 1)
    channel, ts = where_posted(db)
    assert channel == "CDECISIONS" and ts is not None
    with db.session() as session:  # a process that stopped after the ledger marked the post sent
        decision = session.get(Decision, 1)
        assert decision is not None
        decision.message_channel = decision.message_ts = None
    slack.block_action(ids.REVERSE, "1", user_id="U1", channel_id="CDECISIONS")
    form = sent_view(fake_slack, "views.open")
    assert submit(slack, form, {ids.REASON: "Cost up"}, view_id="VR2") == {"response_action": "clear"}
    [update] = wait_for(fake_slack, "chat.update")
    assert (update.params["channel"], update.params["ts"]) == ("CDECISIONS", ts)
    assert where_posted(db) == (channel, ts)
