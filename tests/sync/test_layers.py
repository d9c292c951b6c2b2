"""bot.sync is a capability: it knows no Slack and none of its adapters (CLI, jobs, handlers)."""

from __future__ import annotations

from tests.schedule.test_layers import ADAPTERS, offenders


def test_sync_knows_no_slack_and_no_adapter() -> None:
    assert offenders("bot/sync", (*ADAPTERS, "bot.schedule", "slack_bolt", "slack_sdk")) == []


def test_sync_jobs_import_no_handler() -> None:
    assert offenders("bot/jobs", ("handlers", "bot.main", "bot.cli", "bot.slack")) == []
