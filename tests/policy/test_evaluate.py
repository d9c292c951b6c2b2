"""Tier rules at their boundaries, and the reasons they give."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from bot.policy.evaluate import AccountFacts, Override, evaluate
from bot.policy.model import Policy

NOW = datetime(2026, 11, 22, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    ("acv", "tier"),
    [
        ("0", "starter"),
        ("4999.99", "starter"),
        ("5000", "professional"),
        ("24999.99", "professional"),
        ("25000", "enterprise"),
        ("1000000", "enterprise"),
    ],
)
def test_acv_thresholds(policy: Policy, acv: str, tier: str) -> None:
    assert evaluate(policy, AccountFacts(Decimal(acv))).tier == tier


@pytest.mark.parametrize(
    ("acv", "criticality", "strategic", "tier"),
    [
        ("1000", "medium", True, "professional"),  # lifted one tier
        ("4999.99", "critical", False, "professional"),  # floor
        ("1000", "critical", True, "professional"),  # higher of lift and floor
        ("5000", "critical", True, "enterprise"),  # lift beats floor
        ("30000", "critical", True, "enterprise"),  # nothing above the top
        ("1000", "high", False, "starter"),  # only critical sets a floor
    ],
)
def test_lift_and_floor(policy: Policy, acv: str, criticality: str, strategic: bool, tier: str) -> None:
    assert evaluate(policy, AccountFacts(Decimal(acv), criticality, strategic)).tier == tier


def test_every_rule_that_fired_is_listed_in_order(policy: Policy) -> None:
    result = evaluate(policy, AccountFacts(Decimal("1000"), "critical", True))
    assert [r.text for r in result.reasons] == [
        "ACV $1,000 < $5,000 → Starter",
        "strategic: lifted one tier → Professional",
        "usage criticality critical: floor Professional (already met)",
    ]
    assert [r.applied for r in result.reasons] == [True, True, False]


def test_professional_band_reason(policy: Policy) -> None:
    assert evaluate(policy, AccountFacts(Decimal("12000.50"))).reasons[0].text == (
        "ACV $12,000.50 in $5,000–$25,000 → Professional"
    )


def test_top_tier_strategic_has_no_effect(policy: Policy) -> None:
    result = evaluate(policy, AccountFacts(Decimal("25000"), strategic=True))
    assert result.reasons[1].text == "strategic: already at the top tier"
    assert not result.reasons[1].applied


def test_override_beats_rules_while_it_lasts(policy: Policy) -> None:
    override = Override("enterprise", "renewal negotiation", "U0ANA", NOW + timedelta(days=1))
    result = evaluate(policy, AccountFacts(Decimal("100")), override, NOW)
    assert (result.tier, result.rule_tier) == ("enterprise", "starter")
    assert result.reasons[-1].rule == "override"
    assert all(not r.applied for r in result.reasons[:-1])
    expired = evaluate(policy, AccountFacts(Decimal("100")), override, NOW + timedelta(days=2))
    assert expired.tier == "starter"


def test_override_until_a_date_holds_through_that_day(policy: Policy) -> None:
    from bot.accounts.overrides import parse_set

    request = parse_set("set Hooli to enterprise until 2026-11-22: demo week")
    expires = datetime(2026, 11, 23, tzinfo=UTC)  # what set_override stores for that date
    override = Override("enterprise", request.reason, "U0ANA", expires)
    late_evening = datetime(2026, 11, 22, 23, 59, tzinfo=UTC)
    assert evaluate(policy, AccountFacts(Decimal("100")), override, late_evening).tier == "enterprise"
    assert evaluate(policy, AccountFacts(Decimal("100")), override, expires).tier == "starter"
    assert override.last_day == request.until
