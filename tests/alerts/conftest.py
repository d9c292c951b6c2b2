"""Alert job fixtures: a hand-moved clock, an empty user cache, Ana known to Slack by e-mail."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.services import Services
from bot.slack_users import USERS
from tests.cli.conftest import cli_env  # noqa: F401  (fixture)
from tests.fake_slack import FakeSlack
from tests.schedule.conftest import FakeClock


@pytest.fixture
def clock(services: Services, fake_slack: FakeSlack) -> FakeClock:
    USERS.clear()
    fake_slack.users_by_email["ana@example.com"] = "UANA"
    fake = FakeClock(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
    services.clock = fake
    return fake
