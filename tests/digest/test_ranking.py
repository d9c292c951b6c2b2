"""The ranking rule (`bot.sla.state.stake_key`) at each of its boundaries, and through the digest.

Each boundary pits two tickets that differ on one criterion and are the other way round on every
criterion after it: the earlier criterion must win whatever the later ones say.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from bot.digest import build_digest, full_breach_list
from bot.policy.model import Policy
from bot.sla.clock import AT_RISK, BREACHED
from bot.sla.state import TicketState, stake_key
from storage.db import Database
from tests.conftest import add_account
from tests.digest.seed import NOW, add_ticket, ago

BASE = TicketState(
    ticket_id="T-1",
    account_id=1,
    account_name="Acme",
    tier="professional",
    acv=Decimal(20_000),
    severity="sev2",
    subject="s",
    assignee=None,
    metric="resolution",
    state=BREACHED,
    due_at=datetime(2026, 3, 10, tzinfo=UTC),
    minutes_left=-60,
    target_minutes=480,
    tier_rank=1,
)
# Everything after a criterion, set the other way round: less at stake on each later criterion.
LESS_AFTER_TIER: dict[str, Any] = {
    "state": AT_RISK,
    "severity": "sev4",
    "acv": Decimal(1),
    "minutes_left": 30,
}
LESS_AFTER_STATE: dict[str, Any] = {"severity": "sev4", "acv": Decimal(1), "minutes_left": 30}
LESS_AFTER_SEVERITY: dict[str, Any] = {"acv": Decimal(1), "minutes_left": 30}
LESS_AFTER_ACV: dict[str, Any] = {"minutes_left": 30}


def first(a: TicketState, b: TicketState) -> str:
    """The id of the one ranked first, checked both ways round."""
    ranked = sorted([a, b], key=stake_key)
    assert sorted([b, a], key=stake_key) == ranked
    return ranked[0].ticket_id


@pytest.mark.parametrize(
    ("more", "less"),
    [
        # 1. tier: a higher tier's at-risk sev4 at $1 still comes before a lower tier's breached sev2.
        ({"tier": "enterprise", "tier_rank": 2} | LESS_AFTER_TIER, {}),
        # 2. state: breached before at risk, even a sev4 at $1 before an at-risk sev1.
        (LESS_AFTER_STATE, {"state": AT_RISK, "severity": "sev1", "minutes_left": -1}),
        # 3. severity: the case, a breached sev1 before a breached sev3 of the same tier, whatever
        #    the ACV or how far over.
        ({"severity": "sev1"} | LESS_AFTER_SEVERITY, {"severity": "sev3", "minutes_left": -600}),
        ({"severity": "sev3"}, {"severity": "unknown-sev"}),  # a severity the policy lacks: after sev4
        ({"severity": "sev4"}, {"severity": "unknown-sev"}),
        # 4. ACV: at equal tier, state and severity, the larger contract first even if less overdue.
        ({"acv": Decimal(20_001)} | LESS_AFTER_ACV, {"minutes_left": -6000}),
        # 5. how far over: the more overdue first; among at-risk tickets the closest to due first.
        ({"minutes_left": -61}, {"minutes_left": -60}),
        ({"state": AT_RISK, "minutes_left": 5}, {"state": AT_RISK, "minutes_left": 6}),
    ],
)
def test_each_criterion_beats_every_later_one(more: dict[str, Any], less: dict[str, Any]) -> None:
    a = replace(BASE, ticket_id="MORE", **more)
    b = replace(BASE, ticket_id="LESS", **less)
    assert first(a, b) == "MORE"


def test_equal_stakes_order_by_ticket_id_then_metric() -> None:
    b = replace(BASE, ticket_id="T-2")
    assert first(b, BASE) == "T-1"
    response = replace(BASE, metric="first_response")
    assert first(BASE, response) == "T-1" and sorted([BASE, response], key=stake_key)[0] is response


def test_digest_puts_a_breached_sev1_before_a_richer_more_overdue_sev3_of_the_same_tier(
    db: Database, policy: Policy
) -> None:
    rich = add_account(db, policy, "Rich Enterprise", 400_000)
    poor = add_account(db, policy, "Poor Enterprise", 40_000)
    # Enterprise sev3: resolution 16 business hours; created six days ago it is days over.
    add_ticket(db, "E-SEV3", rich, created=NOW - timedelta(days=6), severity="sev3")
    # Enterprise sev1: resolution 4 h on 24x7, created 4 h 30 min ago: 30 min over.
    add_ticket(db, "E-SEV1", poor, created=ago(270), severity="sev1")
    with db.session() as session:
        digest = build_digest(session, policy, NOW)
        shown = [i.ticket_id for i in full_breach_list(session, policy, NOW)]
    assert [(i.ticket_id, i.state) for i in digest.items] == [("E-SEV1", BREACHED), ("E-SEV3", BREACHED)]
    assert [i.ticket_id for i in digest.enterprise_breaches] == ["E-SEV1", "E-SEV3"]
    assert shown == ["E-SEV1", "E-SEV3"]  # `tierbot digest show` ranks the same way
