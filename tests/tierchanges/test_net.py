"""Several moves reported as one (a quiet window): the net deltas say what changed from the first move's
old values to the last move's new ones, in the direction the tier moved overall."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.accounts.delta import Change, Delta, Effect, net
from bot.policy.model import Policy
from bot.tierchanges.service import TierChangeAlert
from bot.views.tier_changes import alert_message, difference
from storage.db import Database
from storage.models import TierChange
from tests.fake_slack import validate_message
from tests.tierchanges.helpers import due, put

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
M = timedelta(minutes=1)


def only(alerts: list[TierChangeAlert]) -> TierChangeAlert:
    assert len(alerts) == 1, alerts
    validate_message(alert_message(alerts[0]))
    return alerts[0]


def test_an_acv_that_rose_net_is_not_said_to_have_fallen(db: Database, policy: Policy) -> None:
    put(db, policy, T0, 10000)  # Professional (new: not a move)
    put(db, policy, T0 + M, 26500)  # -> Enterprise: crossed $25,000
    put(db, policy, T0 + 2 * M, 24000)  # -> Professional: fell below $25,000
    put(db, policy, T0 + 3 * M, 24000, strategic=True)  # -> Enterprise: the strategic lift
    alert = only(due(db, policy, T0 + 4 * M))
    assert (alert.from_name, alert.to_name, alert.moves) == ("Professional", "Enterprise", 3)
    # Net, the ACV rose $10,000 -> $24,000 and crossed nothing: only the flag explains the move.
    assert difference(alert) == "strategic flag set: lifted one tier"


def test_an_acv_back_where_it_was_is_dropped_whatever_its_text(db: Database, policy: Policy) -> None:
    # The first old value is read back from the database ("10000.00"), the last new one came from
    # the file ("10000"): the same amount.
    put(db, policy, T0, 10000)
    put(db, policy, T0 + M, 26500)
    put(db, policy, T0 + 2 * M, 10000)
    put(db, policy, T0 + 3 * M, 10000, strategic=True)
    alert = only(due(db, policy, T0 + 4 * M))
    assert difference(alert) == "strategic flag set: lifted one tier"


def test_the_net_crossing_is_the_one_between_the_first_and_last_amounts(db: Database, policy: Policy) -> None:
    put(db, policy, T0, 3000)  # Starter
    put(db, policy, T0 + M, 26500)  # -> Enterprise
    put(db, policy, T0 + 2 * M, 10000)  # -> Professional
    alert = only(due(db, policy, T0 + 3 * M))
    assert (alert.from_name, alert.to_name) == ("Starter", "Professional")
    assert difference(alert) == "ACV $3,000 → $10,000 crossed $5,000 (Professional)"


def test_an_input_that_came_back_is_dropped_and_the_rest_kept(db: Database, policy: Policy) -> None:
    put(db, policy, T0, 10000)  # Professional
    put(db, policy, T0 + M, 10000, strategic=True)  # -> Enterprise: lifted
    put(
        db, policy, T0 + 2 * M, 4000, strategic=True
    )  # -> Professional: fell below $5,000 (lifted from Starter)
    put(db, policy, T0 + 3 * M, 4000)  # -> Starter: no longer lifted
    alert = only(due(db, policy, T0 + 4 * M))
    assert (alert.from_name, alert.to_name) == ("Professional", "Starter")
    assert difference(alert) == "ACV $10,000 → $4,000 fell below $5,000 (Professional)"


def test_amounts_are_stored_in_one_form(db: Database, policy: Policy) -> None:
    put(db, policy, T0, 24000)
    put(db, policy, T0 + M, 26500)
    with db.session() as session:
        [delta] = session.scalars(select(TierChange.delta).where(TierChange.delta.is_not(None))).one()
    assert (delta["old"], delta["new"], delta["threshold"]) == ("24000.00", "26500.00", "25000.00")


def test_net_compares_amounts_as_numbers(policy: Policy) -> None:
    up = Delta(Change.ACV, "10000.00", "26500", Effect.RAISED, "25000", "enterprise", "Enterprise")
    down = Delta(Change.ACV, "26500.00", "10000", Effect.LOWERED, "25000", "enterprise", "Enterprise")
    flag = Delta(Change.STRATEGIC, "false", "true", Effect.RAISED, steps=1)
    assert net(policy, [(up,), (down,), (flag,)], "professional", "enterprise") == (flag,)
    # Old rows' amounts in any form come out in the stored one.
    [acv] = net(policy, [(up,)], "professional", "enterprise")
    assert (acv.old, acv.new, acv.threshold) == ("10000.00", "26500.00", "25000.00")


def test_net_policy_changes_from_first_to_last(policy: Policy) -> None:
    raised = Delta(
        Change.THRESHOLD, "25000", "30000.00", Effect.LOWERED, tier="enterprise", tier_name="Enterprise"
    )
    back = Delta(Change.THRESHOLD, "30000", "25000", Effect.RAISED, tier="enterprise", tier_name="Enterprise")
    floor = Delta(Change.FLOOR, None, "professional", Effect.RAISED, subject="high", new_name="Professional")
    assert net(policy, [(raised,), (back,), (floor,)], "starter", "professional") == (floor,)
    [threshold] = net(policy, [(raised,)], "enterprise", "professional")
    assert (threshold.old, threshold.new, threshold.effect) == ("25000.00", "30000.00", Effect.LOWERED)


def test_an_override_event_is_kept_as_the_last_one(policy: Policy) -> None:
    first = Delta(Change.OVERRIDE_SET, "starter", "professional", Effect.RAISED, tier="professional", by="U1")
    last = Delta(Change.OVERRIDE_SET, "professional", "enterprise", Effect.RAISED, tier="enterprise", by="U2")
    assert net(policy, [(first,), (last,)], "starter", "enterprise") == (last,)
