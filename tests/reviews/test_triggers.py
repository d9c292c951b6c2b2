from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import update

from bot.policy.model import Policy
from bot.reviews import TriggerFiring, describe_trigger, evaluate_triggers
from storage.db import Database
from storage.models import Account
from storage.models.decisions import ReviewTrigger
from tests.conftest import add_account
from tests.digest.seed import add_ticket
from tests.reviews.seed import add_decision, add_trigger

NOW = datetime(2026, 11, 20, 6, 0, tzinfo=UTC)


def _evaluate(db: Database, policy: Policy, now: datetime = NOW) -> list[TriggerFiring]:
    with db.session() as session:
        return evaluate_triggers(session, policy, now)


def _health(db: Database, account_id: int, score: int) -> None:
    with db.session() as session:
        session.execute(update(Account).where(Account.id == account_id).values(health_score=score))


def _trigger(db: Database, trigger_id: int) -> ReviewTrigger:
    with db.session() as session:
        found = session.get(ReviewTrigger, trigger_id)
        assert found is not None
        return found


def test_fires_once_per_crossing_and_rearms(db: Database, policy: Policy) -> None:
    acct = add_account(db, policy, "Acme", 100_000, health_score=40)
    decision = add_decision(db, "Enterprise pod staffing", date(2027, 1, 15))
    trig = add_trigger(db, decision, "health_score", "<", 50, tier="enterprise")

    first = _evaluate(db, policy)
    assert len(first) == 1
    fire = first[0]
    assert (fire.trigger_id, fire.decision_id, fire.short_id, fire.owner, fire.source_channel) == (
        trig,
        decision,
        f"D-{decision}",
        "UOWNER",
        "CDECISIONS",
    )
    assert (fire.value, fire.threshold, fire.comparison, fire.unit) == (40.0, 50.0, "<", "pts")
    assert fire.description == "Enterprise average health score < 50"
    assert fire.period_key == f"crossing:{trig}:first"
    stored = _trigger(db, trig)
    assert stored.fired and stored.last_value == 40.0 and stored.last_evaluated_at == NOW

    # Still past the threshold an hour later: nothing new to post.
    assert _evaluate(db, policy, NOW + timedelta(hours=1)) == []

    # Back within: re-armed silently.
    _health(db, acct, 70)
    assert _evaluate(db, policy, NOW + timedelta(hours=2)) == []
    assert not _trigger(db, trig).fired

    # Past again: a new crossing with its own period key.
    _health(db, acct, 30)
    again = _evaluate(db, policy, NOW + timedelta(hours=3))
    assert [f.trigger_id for f in again] == [trig]
    assert again[0].period_key == f"crossing:{trig}:{(NOW + timedelta(hours=2)).isoformat()}"
    assert again[0].period_key != fire.period_key


def test_a_rolled_back_evaluation_reports_the_same_crossing_key(db: Database, policy: Policy) -> None:
    add_account(db, policy, "Acme", 100_000, health_score=40)
    add_trigger(db, add_decision(db, "D", date(2027, 1, 1)), "health_score", "<=", 40, tier="enterprise")
    with db.sessions() as session:  # evaluated, then the run dies before committing
        lost = evaluate_triggers(session, policy, NOW)
        session.rollback()
    retried = _evaluate(db, policy, NOW + timedelta(minutes=5))
    assert [f.period_key for f in retried] == [f.period_key for f in lost]


def test_reversed_and_superseded_decisions_are_skipped(db: Database, policy: Policy) -> None:
    add_account(db, policy, "Acme", 100_000, health_score=10)
    reversed_trig = add_trigger(
        db,
        add_decision(db, "Old", date(2027, 1, 1), status="reversed"),
        "health_score",
        "<",
        50,
        tier="enterprise",
    )
    superseded_trig = add_trigger(
        db,
        add_decision(db, "Older", date(2027, 1, 1), status="superseded"),
        "health_score",
        "<",
        50,
        tier="enterprise",
    )
    reviewed_trig = add_trigger(
        db,
        add_decision(db, "Live", date(2027, 1, 1), status="reviewed"),
        "health_score",
        "<",
        50,
        tier="enterprise",
    )
    assert [f.trigger_id for f in _evaluate(db, policy)] == [reviewed_trig]
    assert _trigger(db, reversed_trig).last_evaluated_at is None
    assert _trigger(db, superseded_trig).last_evaluated_at is None


def test_resolution_time_on_a_tier_and_attainment_on_an_account(db: Database, policy: Policy) -> None:
    acct = add_account(db, policy, "Acme Corp", 100_000)
    for n, hours in enumerate((6, 10, 12)):  # median 10 h
        created = NOW - timedelta(days=3, hours=n)
        add_ticket(db, f"T{n}", acct, created=created, status="solved",
                   solved_at=created + timedelta(hours=hours), resolution_met=hours <= 4)  # fmt: skip
    decision = add_decision(db, "Enterprise pod", date(2027, 1, 1))
    slow = add_trigger(db, decision, "resolution_time", ">", 8, tier="enterprise")
    fast = add_trigger(db, decision, "resolution_time", ">", 12, tier="enterprise")
    sla = add_trigger(db, decision, "sla_attainment", "<", 90, account_id=acct, window_days=7)
    fired = {f.trigger_id: f for f in _evaluate(db, policy)}
    assert set(fired) == {slow, sla}
    assert fired[slow].value == 10.0
    assert fired[slow].description == "Enterprise median resolution time > 8 h over 30 days"
    # 3 first responses met, 3 resolutions missed.
    assert fired[sla].value == 50.0
    assert fired[sla].description == "Acme Corp SLA attainment < 90% over 7 days"
    assert fired[sla].value_text == "50%"
    assert _trigger(db, fast).last_value == 10.0 and not _trigger(db, fast).fired


def test_nothing_to_measure_neither_fires_nor_rearms(db: Database, policy: Policy) -> None:
    decision = add_decision(db, "D", date(2027, 1, 1))
    armed = add_trigger(db, decision, "resolution_time", ">", 8, tier="professional")
    fired = add_trigger(db, decision, "first_response_time", ">", 1, tier="professional", fired=True)
    assert _evaluate(db, policy) == []
    assert not _trigger(db, armed).fired
    assert _trigger(db, fired).fired  # a quiet window does not re-arm
    assert _trigger(db, fired).last_value is None
    assert _trigger(db, fired).last_evaluated_at == NOW


def test_describe_trigger(policy: Policy) -> None:
    def trig(metric: str, comparison: str, threshold: float, **kw: object) -> ReviewTrigger:
        return ReviewTrigger(metric=metric, comparison=comparison, threshold=threshold, window_days=14, **kw)

    assert (
        describe_trigger(trig("support_cost_per_account", ">=", 1200, scope_tier="professional"), policy)
        == "Professional support cost per account >= $1,200 over 14 days"
    )
    assert (
        describe_trigger(trig("severity_mix_share", ">", 37.5, scope_account_id=7), policy)
        == "Account #7 share of sev1 and sev2 tickets > 37.5% over 14 days"
    )
    assert (
        describe_trigger(trig("first_response_time", "<=", 0.5, scope_account_id=7), policy, "Globex")
        == "Globex median first response time <= 0.5 h over 14 days"
    )
    assert (
        describe_trigger(trig("health_score", "<", 60, scope_tier="gone"), policy)
        == "gone average health score < 60"
    )
