"""A message's `text` (the notification and screen-reader fallback) is mrkdwn to Slack: names we did not
write are escaped there as in the blocks, so a company named <!channel> pings nobody."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.accounts.cards import read_card
from bot.alerts.health import DropKind, HealthDrop
from bot.alerts.model import DueStep, StepKind
from bot.policy.model import Policy
from bot.quarterly.service import DueReview, ReviewBrief
from bot.views import alerts, quarterly, tier_card
from bot.views.blocks import Message
from storage.db import Database
from tests.conftest import add_account
from tests.fake_slack import validate_message

AT = datetime(2026, 11, 23, 10, 30, tzinfo=UTC)
NAMES = ["<!channel>", "<https://evil.example|Acme>"]


def assert_escaped(message: Message, name: str) -> None:
    validate_message(message)
    text = message["text"]
    assert "<" not in text and ">" not in text, text
    assert name.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") in text


@pytest.mark.parametrize("name", NAMES)
def test_alert_step_and_health_drop(name: str) -> None:
    step = DueStep(
        kind=StepKind.STEP, ticket_id="T-1", account_id=1, account_name=name, tier="enterprise", tier_rank=2,
        acv=None, severity="sev1", subject="s", target="resolution", target_minutes=240, step="+30m",
        offset_minutes=30, due_at=AT, minutes_left=-45, channel="C1", assignee=None, owner=None, late=False,
        late_minutes=0,
    )  # fmt: skip
    assert_escaped(alerts.step_message(step), name)
    drop = HealthDrop(1, name, "enterprise", None, "C1", DropKind.FELL, 80, 62, AT, 40, 15, 30)
    assert_escaped(alerts.health_message(drop), name)


@pytest.mark.parametrize("name", NAMES)
def test_quarterly_reminder(name: str) -> None:
    review = DueReview(1, name, "enterprise", None, AT, None)
    brief = ReviewBrief(review, AT, None, None, 0, 0, 0, None, (), ())
    assert_escaped(quarterly.reminder_message(brief, AT), name)


@pytest.mark.parametrize("tier_name", NAMES)
def test_tier_card_escapes_the_tier_name_too(db: Database, policy: Policy, tier_name: str) -> None:
    top, *rest = policy.tiers
    odd = policy.model_copy(update={"tiers": (top.model_copy(update={"name": tier_name}), *rest)})
    account_id = add_account(db, odd, "<!here>", 30000)
    card = read_card(db, odd, account_id, AT, 0.25, lambda _tier: ())
    assert card is not None
    message = tier_card.card_message(card, odd)
    assert_escaped(message, tier_name)
    assert "&lt;!here&gt;" in message["text"]
