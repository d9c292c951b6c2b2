"""/tier shows the health trend: the last values from the health history and an arrow (score now
against the score 30 days ago, flat within 5 points); an import that changes the score shows at once."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from freezegun import freeze_time
from sqlalchemy import select, update

from bot.accounts import service
from bot.alerts.health import NO_SCORE, Direction, health_trend, record_health_change
from bot.services import Services
from storage.db import Database
from storage.models import Account
from tests.fake_slack import validate_message
from tests.slack_http import SlackHTTP

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def card(slack: SlackHTTP, query: str = "acme corp") -> str:
    response = slack.command("/tier", query)
    assert response.status_code == 200, response.text
    message: dict[str, Any] = response.json()
    validate_message(message)
    assert message["text"] == "Acme Corp is Enterprise tier"
    return json.dumps(message["blocks"], ensure_ascii=False)


def csv(health: int) -> io.StringIO:
    return io.StringIO(f"name,external_id,acv,health_score\nAcme Corp,ACME-001,32000,{health}\n")


@pytest.fixture
def acme(db: Database, services: Services) -> int:
    services.clock = lambda: NOW
    report = service.import_accounts(db, services.policy, csv(80), now=NOW - timedelta(days=60))
    assert report.written
    with db.session() as session:  # 80 -> 90 (40 days ago) -> 84 (20 days ago), as imports keep them
        account_id = session.scalars(select(Account.id)).one()
        for old, new, days in ((80, 90, 40), (90, 84, 20)):
            record_health_change(session, account_id, old, new, NOW - timedelta(days=days))
        session.execute(update(Account).values(health_score=84))
    return account_id


def test_the_card_shows_the_last_values_and_the_arrow(slack: SlackHTTP, acme: int) -> None:
    # 30 days ago the score was 90 (set 40 days ago): 84 is -6, past the 5-point threshold.
    assert "*Health score*\\n84/100 ↓ −6 in 30d\\n_80 › 90 › 84_" in card(slack)


def test_an_import_changing_the_score_reaches_a_cached_card(
    slack: SlackHTTP, db: Database, services: Services, acme: int
) -> None:
    assert "84/100 ↓" in card(slack)
    assert "84/100 ↓" in card(slack)  # the cached answer
    with freeze_time(NOW):
        assert service.import_accounts(db, services.policy, csv(93), now=NOW).written
    # The import bumped the accounts version: the cached card is gone, the new value and trend show.
    assert "93/100 ↑ +3 in 30d" not in card(slack)  # +3 against 90 is flat, not up
    assert "*Health score*\\n93/100 → +3 in 30d\\n_90 › 84 › 93_" in card(slack)


def test_no_history_shows_the_score_alone(slack: SlackHTTP, db: Database, services: Services) -> None:
    services.clock = lambda: NOW
    assert service.import_accounts(db, services.policy, csv(77), now=NOW).written
    assert '*Health score*\\n77/100"' in card(slack)


@pytest.mark.parametrize(
    ("current", "previous", "at_since", "values", "direction", "change"),
    [
        (70, [75, 80], 90, (80, 75, 70), Direction.DOWN, -20),  # against 30 days ago, not the oldest shown
        (94, [90, None], None, (90, 94), Direction.FLAT, 0),  # unchanged for 30 days; None ends the values
        (95, [90], 90, (90, 95), Direction.UP, 5),  # exactly the threshold
        (94, [90], 90, (90, 94), Direction.FLAT, 4),
        (60, [70], NO_SCORE, (70, 60), Direction.DOWN, -10),  # no score 30 days ago: the oldest shown
    ],
)
def test_the_trend_rule(
    current: int,
    previous: list[int | None],
    at_since: int | None,
    values: tuple[int, ...],
    direction: Direction,
    change: int,
) -> None:
    trend = health_trend(current, previous, at_since)
    assert trend is not None
    assert (trend.values, trend.direction, trend.change) == (values, direction, change)


def test_no_trend_without_a_score_or_an_earlier_value() -> None:
    assert health_trend(None, [80], 80) is None
    assert health_trend(80, [None, None], None) is None


def test_the_trend_comes_in_the_cards_one_statement(db: Database, services: Services, acme: int) -> None:
    """The /tier hot path: an account without tickets or decisions is still one statement, history or not."""
    from sqlalchemy import event

    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        found = service.card(db, services.accounts, services.policy, acme, NOW, 0.25)
        reading_history = [s for s in statements if "health_history" in s]
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert found is not None and found.health_trend is not None
    assert found.health_trend.values == (80, 90, 84)
    # The one statement reading the history is the card's own (the account row): no extra round trip.
    assert len(reading_history) == 1 and reading_history[0].startswith("SELECT accounts.id"), statements


def test_a_score_first_set_within_the_window_is_compared_with_its_first_value(
    slack: SlackHTTP, db: Database, services: Services
) -> None:
    services.clock = lambda: NOW
    blank = io.StringIO("name,external_id,acv,health_score\nAcme Corp,ACME-001,32000,\n")
    assert service.import_accounts(db, services.policy, blank, now=NOW - timedelta(days=50)).written
    assert service.import_accounts(db, services.policy, csv(70), now=NOW - timedelta(days=10)).written
    assert service.import_accounts(db, services.policy, csv(60), now=NOW - timedelta(days=1)).written
    assert "*Health score*\\n60/100 ↓ −10 in 30d\\n_70 › 60_" in card(slack)
