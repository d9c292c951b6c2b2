from decimal import Decimal

import pytest
from freezegun import freeze_time

from bot.sla.metrics import METRIC_NAMES, measure, metric_value, period_metrics
from tests.sla.factories import add_account, load, ticket, utc

START, END = utc(2026, 11, 1), utc(2026, 11, 21)
NOW = utc(2026, 11, 20, 12, 0)


@pytest.fixture
def dataset(db, policy):
    a = add_account(db, "A", "enterprise", 50000, health=80)  # $95/h; sev1 30m/4h, sev2 1h/8h round the clock
    b = add_account(db, "B", "starter", 2000, health=50)  # $45/h; business hours in New York
    add_account(db, "C", "starter", 2000, health=20)  # no tickets
    load(db, policy, [
        # Met both: 20m response, 2h resolution.
        ticket("T1", "A", "sev1", "solved", utc(2026, 11, 10, 10), first_response_at=utc(2026, 11, 10, 10, 20),
               solved_at=utc(2026, 11, 10, 12), agent_replies=1, handle_minutes=60, csat=5),
        # Missed both: 90m response (1h target), 24h resolution (8h target).
        ticket("T2", "A", "sev2", "closed", utc(2026, 11, 10, 11), first_response_at=utc(2026, 11, 10, 12, 30),
               solved_at=utc(2026, 11, 11, 11), agent_replies=3, handle_minutes=120, csat=3),
        # Monday 09:00-15:00 New York: met both.
        ticket("T3", "B", "sev3", "solved", utc(2026, 11, 16, 14), first_response_at=utc(2026, 11, 16, 15),
               solved_at=utc(2026, 11, 16, 20), agent_replies=1, handle_minutes=30),
        # Open, unanswered, not yet due: undecided.
        ticket("T4", "B", "sev4", "new", utc(2026, 11, 17, 14)),
        # Open, unanswered for a day: both targets already missed.
        ticket("T5", "A", "sev1", "new", utc(2026, 11, 19, 10)),
        # Outside the period.
        ticket("T6", "A", "sev1", "solved", utc(2026, 10, 30), first_response_at=utc(2026, 10, 30, 5),
               solved_at=utc(2026, 10, 31), handle_minutes=600, csat=1),
    ])  # fmt: skip
    return a, b


def test_period_metrics_everything(db, policy, dataset):
    with db.session() as session:
        m = period_metrics(session, policy, START, END, now=NOW)
    assert (m.tickets, m.solved, m.accounts) == (5, 3, 2)
    assert m.mtta_minutes == pytest.approx((20 + 90 + 60) / 3)
    assert m.median_tta_minutes == 60
    assert m.mttr_minutes == pytest.approx((120 + 1440 + 360) / 3)
    assert m.median_ttr_minutes == 360
    assert m.fcr_share == pytest.approx(2 / 3)
    assert (m.first_response_met, m.first_response_decided) == (2, 4)
    assert (m.resolution_met, m.resolution_decided) == (2, 4)
    assert m.sla_attainment == 0.5
    assert (m.csat_avg, m.csat_responses) == (4.0, 2)
    assert m.severity_mix == {"sev1": 0.4, "sev2": 0.2, "sev3": 0.2, "sev4": 0.2}
    # (60 + 120) min at $95/h + 30 min at $45/h = 285 + 22.50, over two accounts.
    assert m.support_cost == Decimal("307.50")
    assert m.support_cost_per_account == Decimal("153.75")
    assert m.health_score_avg == 50  # all three accounts
    assert metric_value(m, "resolution_time") == 6.0
    assert metric_value(m, "first_response_time") == 1.0
    assert metric_value(m, "sla_attainment") == 50.0
    assert metric_value(m, "support_cost_per_account") == 153.75
    assert metric_value(m, "severity_mix_share") == 60.0


def test_period_metrics_by_tier_and_account(db, policy, dataset):
    _, b = dataset
    with db.session() as session:
        ent = period_metrics(session, policy, START, END, tier="enterprise", now=NOW)
        acct_b = period_metrics(session, policy, START, END, account_id=b, now=NOW)
    assert (ent.tickets, ent.support_cost_per_account, ent.health_score_avg) == (3, Decimal("285.00"), 80)
    assert (ent.first_response_met, ent.first_response_decided) == (1, 3)
    assert (acct_b.tickets, acct_b.solved, acct_b.sla_attainment, acct_b.median_ttr_minutes) == (
        2,
        1,
        1.0,
        360,
    )
    assert acct_b.health_score_avg == 50


def test_open_ticket_breach_depends_on_now(db, policy, dataset):
    with db.session() as session:
        before = period_metrics(session, policy, START, END, now=utc(2026, 11, 19, 10, 10))
    assert (before.first_response_decided, before.resolution_decided) == (3, 3)


@freeze_time("2026-11-20 12:00:00")
def test_measure_judges_open_tickets_at_the_end_of_the_period(db, policy, dataset):
    # Not by the wall clock: `jobs run review-triggers --at` and injected clocks must agree. By END
    # one more open ticket has breached than at NOW, so 4 of 9 targets were met, not 4 of 8.
    with db.session() as session:
        values = {name: measure(session, policy, name, None, None, START, END) for name in METRIC_NAMES}
        empty = measure(session, policy, "resolution_time", "professional", None, START, END)
        with pytest.raises(ValueError, match="unknown metric"):
            measure(session, policy, "nps", None, None, START, END)
    assert values == {
        "resolution_time": 6.0,
        "first_response_time": 1.0,
        "sla_attainment": pytest.approx(400 / 9),
        "support_cost_per_account": 153.75,
        "health_score": 50.0,
        "severity_mix_share": 60.0,
    }
    assert empty is None


def test_empty_period(db, policy, dataset):
    with db.session() as session:
        m = period_metrics(session, policy, utc(2025, 1, 1), utc(2025, 2, 1), now=NOW)
    assert (m.tickets, m.mtta_minutes, m.sla_attainment, m.support_cost_per_account) == (0, None, None, None)
    assert metric_value(m, "severity_mix_share") is None
