"""`/tier set-channel ACCOUNT #channel|clear` over signed HTTP: admins only, the channel as Slack
escapes it, refusals with suggestions, the card shows it and the alert ladder posts there."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.jobs import run_job
from bot.services import Services
from bot.slack_users import USERS
from storage.db import Database
from tests.alerts.helpers import account, ticket
from tests.fake_slack import FakeSlack, validate_message
from tests.schedule.conftest import FakeClock
from tests.slack_http import SlackHTTP


def utc(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, 23, hour, minute, tzinfo=UTC)


def answer(slack: SlackHTTP, text: str, user_id: str = "UADMIN") -> str:
    response = slack.command("/tier", text, user_id=user_id)
    assert response.status_code == 200, response.text
    message: dict[str, Any] = response.json()
    validate_message(message)
    return json.dumps(message["blocks"], ensure_ascii=False) + message["text"]


@pytest.fixture
def clock(services: Services) -> FakeClock:
    USERS.clear()
    fake = FakeClock(utc(10))
    services.clock = fake
    return fake


@pytest.fixture
def acme(db: Database, services: Services, clock: FakeClock) -> int:
    account(db, services.policy, "Acme Rockets", 3000, channel=None)  # a near name, for suggestions
    return account(db, services.policy, channel=None)  # Acme Corp, Enterprise


def posted_to(fake: FakeSlack) -> list[str]:
    return [str(c.params["channel"]) for c in fake.calls_to("chat.postMessage")]


def test_alerts_follow_the_channel_set_and_cleared(
    slack: SlackHTTP, services: Services, clock: FakeClock, fake_slack: FakeSlack, db: Database, acme: int
) -> None:
    assert "Alerts channel" not in answer(slack, "acme corp")
    said = answer(slack, "set-channel Acme Corp <#C0ACMESUP|acme-support>")
    assert "Acme Corp's alerts and health drops now go to <#C0ACMESUP>" in said
    assert "*Alerts channel*\\n<#C0ACMESUP>" in answer(slack, "acme corp")  # the cached card was dropped
    ticket(db, "T-1", acme, utc(10))  # Enterprise sev1: first response in 30m, steps -15m, 0, +30m
    clock.set(utc(10, 15))
    run_job(services, "sla-alerts")
    assert posted_to(fake_slack) == ["C0ACMESUP"]
    said = answer(slack, "set-channel acme corp clear")
    assert "no channel of its own now (was <#C0ACMESUP>)" in said
    assert "Alerts channel" not in answer(slack, "acme corp")
    clock.set(utc(10, 30))
    run_job(services, "sla-alerts")
    assert posted_to(fake_slack) == ["C0ACMESUP", "#support-enterprise"]  # the tier's alert channel


@pytest.mark.parametrize(
    ("text", "user", "expected"),
    [
        ("set-channel Acme Corp <#C0ACMESUP|acme-support>", "U1", "Only tierbot admins"),
        ("set-channel Acme Corp #acme-support", "UADMIN", "`#acme-support` reached tierbot as a plain name"),
        ("set-channel Acme Corp", "UADMIN", "Write it as `set-channel ACCOUNT #channel`"),
        ("set-channel Acme Corp acme-support", "UADMIN", "Write it as `set-channel ACCOUNT #channel`"),
        ("set-channel Acme Crop Rockits <#C0ACMESUP>", "UADMIN", "No account matches"),
        ("set-channel acme <#C0ACMESUP>", "UADMIN", "could be Acme Corp, Acme Rockets"),
        ("set-channel <!channel> <#C0ACMESUP>", "UADMIN", "No account matches `&lt;!channel&gt;`"),
    ],
)
def test_refusals_say_why_and_change_nothing(
    slack: SlackHTTP, db: Database, acme: int, text: str, user: str, expected: str
) -> None:
    assert expected in answer(slack, text, user)
    assert "Alerts channel" not in answer(slack, "acme corp")


def test_an_unknown_account_gets_the_nearest_names(slack: SlackHTTP, acme: int) -> None:
    assert "Nearest: Acme Corp" in answer(slack, "set-channel Akme Korp <#C0ACMESUP>")


def test_help_names_the_subcommand(slack: SlackHTTP, acme: int) -> None:
    assert "/tier set-channel ACCOUNT #channel" in answer(slack, "help")
