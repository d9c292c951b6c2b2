"""What made the difference: each kind of move recorded with its delta and said as one sentence."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select, update

from bot.accounts import service
from bot.policy.model import Policy
from bot.services import Services
from bot.tierchanges.service import TierChangeAlert
from bot.views.tier_changes import alert_message, difference
from storage.db import Database
from storage.models import Account, TierChange
from tests.fake_slack import validate_message
from tests.tierchanges.helpers import due, put, recompute_at

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
LATER = T0 + timedelta(days=3)  # past every quiet window


def only(alerts: list[TierChangeAlert]) -> TierChangeAlert:
    assert len(alerts) == 1, alerts
    validate_message(alert_message(alerts[0]))
    return alerts[0]


def test_acv_crossing_up_and_down(db: Database, policy: Policy) -> None:
    put(db, policy, T0, 24000)
    assert due(db, policy, T0 + timedelta(minutes=1)) == []  # a new account is not a move
    put(db, policy, T0 + timedelta(hours=1), 26500)
    up = only(due(db, policy, T0 + timedelta(hours=1, minutes=1)))
    assert (up.from_name, up.to_name) == ("Professional", "Enterprise")
    assert difference(up) == "ACV $24,000 → $26,500 crossed $25,000 (Enterprise)"
    put(db, policy, LATER, 3000)  # two thresholds: the lowest one left is named
    down = only(due(db, policy, LATER + timedelta(minutes=1)))
    assert difference(down) == "ACV $26,500 → $3,000 fell below $5,000 (Professional)"


def test_strategic_flag_lifts_one_tier(db: Database, policy: Policy) -> None:
    put(db, policy, T0, 10000)
    put(db, policy, T0 + timedelta(hours=1), 10000, strategic=True)
    alert = only(due(db, policy, T0 + timedelta(hours=2)))
    assert (alert.from_name, alert.to_name) == ("Professional", "Enterprise")
    assert difference(alert) == "strategic flag set: lifted one tier"


def test_usage_criticality_raises_and_lowers_the_floor(db: Database, policy: Policy) -> None:
    put(db, policy, T0, 1000)
    put(db, policy, T0 + timedelta(hours=1), 1000, criticality="critical")
    raised = only(due(db, policy, T0 + timedelta(hours=2)))
    assert difference(raised) == "usage criticality medium → critical: raised the floor to Professional"
    put(db, policy, LATER, 1000, criticality="high")
    lowered = only(due(db, policy, LATER + timedelta(minutes=1)))
    assert (
        difference(lowered) == "usage criticality critical → high: the Professional floor no longer applies"
    )


def test_override_set_and_cleared_say_who_and_why(services: Services, db: Database, policy: Policy) -> None:
    put(db, policy, T0, 10000)
    with db.session() as session:
        acme = session.scalars(select(Account.id)).one()
    done = service.set_override_on(
        db, services.accounts, policy, acme, "enterprise", "renewal <!channel>", "UADMIN", True,
        T0 + timedelta(hours=1), until=datetime(2027, 3, 31).date(),
    )  # fmt: skip
    assert isinstance(done, service.OverrideSet)
    alert = only(due(db, policy, T0 + timedelta(hours=2)))
    assert difference(alert) == (
        "override to Enterprise set by <@UADMIN> until 2027-03-31: “renewal &lt;!channel&gt;”"
    )
    service.clear_override(db, services.accounts, policy, "Acme Corp", "UOTHER", LATER)
    cleared = only(due(db, policy, LATER + timedelta(minutes=1)))
    assert cleared.to_name == "Professional"
    assert (
        difference(cleared)
        == "override to Enterprise cleared by <@UOTHER> (it said “renewal &lt;!channel&gt;”)"
    )


def test_policy_change_names_the_threshold(db: Database, policy: Policy) -> None:
    put(db, policy, T0, 26500)
    assert recompute_at(db, policy, T0) == 0  # keeps the rules it applied: the basis of the next change
    top, *rest = policy.tiers
    raised = policy.model_copy(update={"tiers": (top.model_copy(update={"min_acv": Decimal(30000)}), *rest)})
    assert recompute_at(db, raised, T0 + timedelta(hours=1)) == 1
    alert = only(due(db, raised, T0 + timedelta(hours=2)))
    assert (alert.from_name, alert.to_name, alert.cause) == ("Enterprise", "Professional", "policy")
    assert difference(alert) == "Enterprise threshold $25,000 → $30,000"


def test_rows_without_a_delta_show_the_recorded_rules(db: Database, policy: Policy) -> None:
    put(db, policy, T0, 24000)
    put(db, policy, T0 + timedelta(hours=1), 26500)
    with db.session() as session:
        session.execute(update(TierChange).values(delta=None))  # as rows written before 0009
    alert = only(due(db, policy, T0 + timedelta(hours=2)))
    assert difference(alert) == "ACV $26,500 ≥ $25,000 → Enterprise"


@pytest.mark.parametrize("name", ["<!channel>", "<https://evil.example|Acme>"])
def test_the_notification_text_escapes_the_account_name(db: Database, policy: Policy, name: str) -> None:
    # Slack reads a message's `text` as mrkdwn: unescaped, a company named <!channel> pings the channel.
    put(db, policy, T0, 24000, name=name)
    put(db, policy, T0 + timedelta(hours=1), 26500, name=name)
    message = alert_message(only(due(db, policy, T0 + timedelta(hours=2))))
    text = message["text"]
    assert "<" not in text and ">" not in text, text
    assert text.startswith(name.replace("<", "&lt;").replace(">", "&gt;") + " moved from Professional")
