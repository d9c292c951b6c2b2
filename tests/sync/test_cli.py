"""`tierbot sync ...` as an operator runs it, against the fakes, through the environment."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.config import get_settings
from storage.db import Database
from tests.fakes.hubspot import FakeHubSpot
from tests.fakes.zendesk import FakeZendesk

runner = CliRunner()


@pytest.fixture
def env(
    db: Database, monkeypatch: pytest.MonkeyPatch, hubspot: FakeHubSpot, zendesk: FakeZendesk
) -> Iterator[None]:
    for key in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "SALESFORCE_INSTANCE_URL"):
        monkeypatch.delenv(key, raising=False)
    values = {
        "DATABASE_URL": db.url,
        "HUBSPOT_TOKEN": hubspot.token,
        "HUBSPOT_API_URL": hubspot.url,
        "ZENDESK_API_URL": zendesk.url,
        "ZENDESK_EMAIL": "agent@example.com",
        "ZENDESK_API_TOKEN": "zd-token",
    }
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(db.url.rsplit("/", 1)[0].removeprefix("sqlite:///") if db.is_sqlite else "/tmp")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_sync_accounts_tickets_push_and_status(env: None, hubspot: FakeHubSpot) -> None:
    hubspot.set(4, acv="lots")
    result = runner.invoke(app, ["sync", "accounts", "--source", "hubspot", "--full"])
    assert result.exit_code == 0, result.output
    assert "hubspot: 249 created, 0 updated, 0 unchanged, 1 rejected" in result.output
    assert "rejected 4 [acv]" in result.output
    card = runner.invoke(app, ["tier", "Company 7"], env={"COLUMNS": "200"})
    assert card.exit_code == 0, card.output
    assert "Data from HubSpot, changed there Thu 01 Jan 00:00 UTC" in card.output  # /tier names the source
    result = runner.invoke(app, ["sync", "tickets", "--source", "zendesk", "--full"])
    assert result.exit_code == 0, result.output
    assert "zendesk: 292 created, 0 updated, 0 unchanged, 8 rejected" in result.output  # org 4 has no account
    result = runner.invoke(app, ["sync", "push-tiers"])
    assert result.exit_code == 0 and "39 tier(s) written" in result.output
    status = runner.invoke(app, ["sync", "status"], env={"COLUMNS": "200"})
    assert status.exit_code == 0, status.output
    for source in ("hubspot", "zendesk", "zendesk-orgs", "push-zendesk"):
        assert source in status.output
    assert "hubspot: rejected 4 [acv]" in status.output
    assert hubspot.token not in status.output and "zd-token" not in status.output


def test_a_source_that_is_not_configured_or_stopped_exits_non_zero(
    env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = runner.invoke(app, ["sync", "accounts", "--source", "salesforce"])
    assert result.exit_code == 1 and "SALESFORCE_INSTANCE_URL" in result.output
    monkeypatch.setenv("HUBSPOT_TOKEN", "pat-wrong")
    get_settings.cache_clear()
    result = runner.invoke(app, ["sync", "accounts", "--source", "hubspot"])
    assert result.exit_code == 1 and "HUBSPOT_TOKEN" in result.output and "pat-wrong" not in result.output


def test_sync_accounts_pushes_tiers_to_the_crm_unless_no_push(
    env: None, monkeypatch: pytest.MonkeyPatch, hubspot: FakeHubSpot
) -> None:
    monkeypatch.setenv("HUBSPOT_TIER_PROPERTY", "support_tier")
    get_settings.cache_clear()
    result = runner.invoke(app, ["sync", "accounts", "--source", "hubspot", "--full", "--no-push"])
    assert result.exit_code == 0, result.output
    assert "tier(s) written" not in result.output and hubspot.batch_updates == []
    hubspot.archived = {6}  # archived after the sync read it: the write is refused
    result = runner.invoke(app, ["sync", "push-tiers", "--target", "hubspot"])
    assert result.exit_code == 0, result.output
    assert "hubspot: 249 tier(s) written to support_tier, 1 failed." in result.output
    assert "company 6: OBJECT_NOT_FOUND: Could not get some COMPANY objects" in result.output
    # An incremental sync the same day does not read the archive list, and says so.
    result = runner.invoke(app, ["sync", "accounts", "--source", "hubspot", "--no-push"])
    assert result.exit_code == 0, result.output
    assert "archived records not read (last read " in result.output
    assert "once every 24 h" in result.output.replace("\n", " ")
    # A full sync marks it as removed there (and pushes no more to it), then pushes what changed.
    result = runner.invoke(app, ["sync", "accounts", "--source", "hubspot", "--full"])
    assert result.exit_code == 0, result.output
    assert "1 archived or deleted there: marked, decisions kept." in result.output
    assert "hubspot: 0 tier(s) written to support_tier, 0 failed." in result.output
    assert "zendesk: 0 tier(s) written" in result.output  # no organization linked yet
    card = runner.invoke(app, ["tier", "Company 6"], env={"COLUMNS": "200"})
    assert card.exit_code == 0 and "archived or deleted there" in card.output, card.output
    result = runner.invoke(app, ["sync", "push-tiers", "--target", "salesforce"])
    assert result.exit_code == 1 and "SALESFORCE_TIER_FIELD" in result.output
