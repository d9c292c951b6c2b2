"""The digest skips tickets too young to be at risk; that must never change what it reports."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from bot.digest import build_digest, full_breach_list
from bot.digest.scope import stream_conditions
from bot.policy.model import Policy
from bot.sla.metrics import period_metrics
from bot.sla.state import TicketState, iter_open_ticket_states, iter_states, stake_key
from storage.db import Database
from storage.models.tickets import Ticket
from tests.conftest import add_account

_ORDER = {"breached": 0, "at_risk": 1, "ok": 2}


def _seed(db: Database, policy: Policy, now: datetime, rng: random.Random) -> None:
    accounts = [
        (add_account(db, policy, f"Account {i}", acv), tier)
        for i, (acv, tier) in enumerate(
            [(90_000, "enterprise"), (30_000, "enterprise"), (12_000, "professional"), (6_000, "professional"),
             (1_000, "starter"), (2_000, "starter")]
        )
    ]  # fmt: skip
    with db.session() as session:
        for n in range(400):
            account_id, tier = rng.choice(accounts)
            created = now - timedelta(minutes=rng.expovariate(1 / (3 * 1440)))
            responded = None if rng.random() < 0.4 else created + timedelta(minutes=rng.randrange(1, 600))
            if responded is not None and responded > now:
                responded = None
            status = rng.choice(("new", "open", "open", "pending", "on-hold"))
            session.add(
                Ticket(
                    id=f"R{n:04d}",
                    account_id=account_id,
                    severity=rng.choice(("sev1", "sev2", "sev3", "sev4")),
                    status=status,
                    created_at=created,
                    first_response_at=responded,
                    sla_tier=tier,
                    first_response_met=None if responded is None else rng.random() < 0.8,
                )
            )


def _reference(states: list[TicketState]) -> list[TicketState]:
    """Worst clock per ticket, flagged ones only, ranked: written independently of bot.digest."""
    worst: dict[str, TicketState] = {}
    for s in states:
        current = worst.get(s.ticket_id)
        if current is None or (_ORDER[s.state], s.minutes_left) < (
            _ORDER[current.state],
            current.minutes_left,
        ):
            worst[s.ticket_id] = s
    return sorted((s for s in worst.values() if s.state != "ok"), key=stake_key)


@pytest.mark.parametrize(
    ("now", "share"),
    [
        (datetime(2026, 3, 11, 15, 0, tzinfo=UTC), 0.25),  # Wednesday, business hours in New York
        (datetime(2026, 3, 14, 3, 0, tzinfo=UTC), 0.25),  # Saturday night
        (datetime(2026, 3, 16, 13, 59, tzinfo=UTC), 0.5),  # Monday, just before opening
        (datetime(2026, 3, 12, 18, 0, tzinfo=UTC), 0.0),
    ],
)
def test_pruned_digest_equals_the_full_evaluation(
    db: Database, policy: Policy, now: datetime, share: float
) -> None:
    _seed(db, policy, now, random.Random(now.toordinal()))
    with db.session() as session:
        everything = list(iter_open_ticket_states(session, policy, now, share))
        digest = build_digest(session, policy, now, limit=1000, at_risk_share=share)
        listed = list(full_breach_list(session, policy, now, at_risk_share=share))
        week = {
            t: period_metrics(
                session, policy, now - timedelta(days=7), now, tier=t, now=now, at_risk_share=share
            )
            for t in ("enterprise", "professional", "starter")
        }
    expected = _reference(everything)
    assert len(expected) > 50  # the data must exercise the ranking, or this proves nothing
    assert any(s.state == "ok" for s in everything)
    assert [(i.ticket_id, i.metric, i.state, i.minutes_left) for i in digest.items] == [
        (s.ticket_id, s.metric, s.state, s.minutes_left) for s in expected
    ]
    assert [i.ticket_id for i in listed] == [s.ticket_id for s in expected]
    assert digest.breached_total == sum(1 for s in expected if s.state == "breached")
    assert digest.at_risk_total == sum(1 for s in expected if s.state == "at_risk")
    for tier, metrics in week.items():
        expected_att = None if metrics.sla_attainment is None else metrics.sla_attainment * 100
        assert digest.attainment[tier] == pytest.approx(expected_att)


@pytest.mark.parametrize(
    ("now", "overdue"),
    [
        (datetime(2026, 3, 11, 15, 0, tzinfo=UTC), timedelta(minutes=60)),
        (datetime(2026, 3, 14, 3, 0, tzinfo=UTC), timedelta(minutes=60)),  # weekend: business clocks stand
        (datetime(2026, 3, 16, 13, 59, tzinfo=UTC), timedelta(hours=8)),
        (datetime(2026, 3, 12, 18, 0, tzinfo=UTC), timedelta(minutes=5)),
    ],
)
def test_breaches_overdue_since_are_listed_as_without_pruning(
    db: Database, policy: Policy, now: datetime, overdue: timedelta
) -> None:
    """The re-post job asks only for breaches at least an interval old, and prunes harder for it."""
    _seed(db, policy, now, random.Random(now.toordinal() + 1))
    since = now - overdue
    with db.session() as session:
        everything = list(iter_open_ticket_states(session, policy, now, 0.25))
        listed = list(full_breach_list(session, policy, now, at_risk_share=0.25, breached_since=since))
        pruned_scan = list(
            iter_states(session, policy, now, 0.25, stream_conditions(policy, since, 0.0, None))
        )
    expected = [s for s in _reference(everything) if s.state == "breached" and s.due_at <= since]
    assert len(expected) > 20  # the data must exercise it
    assert [(i.ticket_id, i.metric, i.minutes_left) for i in listed] == [
        (s.ticket_id, s.metric, s.minutes_left) for s in expected
    ]
    assert len(pruned_scan) < len(everything)  # and the stream really skipped tickets
