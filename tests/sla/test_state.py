from datetime import timedelta

from sqlalchemy import update

from bot.sla.clock import AT_RISK, BREACHED, OK
from bot.sla.state import Breach, iter_breaches, iter_open_ticket_states, iter_states, top_at_stake
from storage.models.tickets import Ticket
from tests.sla.factories import add_account, load, load_events, ticket, utc

NOW = utc(2026, 11, 18, 12, 0)  # a Wednesday


def ago(minutes: int):
    return NOW - timedelta(minutes=minutes)


def _setup(db, policy):
    add_account(db, "BIG", "enterprise", 90000, "Big Co")
    add_account(db, "MID", "enterprise", 30000, "Mid Co")
    add_account(db, "SMALL", "starter", 1000, "Small Co")
    load(db, policy, [
        ticket("E1", "BIG", "sev1", "new", ago(40)),  # FR 30m: 10m over; resolution 4h: 200m left
        ticket("E2", "MID", "sev1", "open", ago(100), first_response_at=ago(95)),  # resolution: 140 left
        ticket("E3", "MID", "sev1", "new", ago(45)),  # FR 15m over
        ticket("E4", "BIG", "sev2", "open", ago(7 * 60 + 10), first_response_at=ago(400)),  # 8h: 50m left
        ticket("S1", "SMALL", "sev1", "new", ago(60 * 30)),  # business hours: breached long ago
        ticket("X1", "BIG", "sev1", "solved", ago(300), first_response_at=ago(290), solved_at=ago(100)),
        ticket("P1", "BIG", "sev2", "pending", ago(600), first_response_at=ago(590)),
    ])  # fmt: skip


def test_one_state_per_running_metric(db, policy):
    _setup(db, policy)
    with db.session() as session:
        states = {(s.ticket_id, s.metric): s for s in iter_open_ticket_states(session, policy, NOW)}
    assert set(states) == {
        ("E1", "first_response"), ("E1", "resolution"), ("E2", "resolution"), ("E3", "first_response"),
        ("E3", "resolution"), ("E4", "resolution"), ("S1", "first_response"), ("S1", "resolution"),
        ("P1", "resolution"),
    }  # fmt: skip
    e1 = states["E1", "first_response"]
    assert (e1.state, e1.minutes_left, e1.due_at, e1.target_minutes) == (BREACHED, -10, ago(10), 30)
    assert (e1.account_name, e1.tier, e1.acv, e1.tier_rank) == ("Big Co", "enterprise", 90000, 2)
    assert (states["E1", "resolution"].state, states["E1", "resolution"].minutes_left) == (OK, 200)
    assert (states["E4", "resolution"].state, states["E4", "resolution"].minutes_left) == (AT_RISK, 50)
    paused = states["P1", "resolution"]
    assert (paused.paused, paused.minutes_left, paused.state) == (True, 470, OK)
    assert states["S1", "first_response"].state == BREACHED


def test_filters_by_tier_and_account(db, policy):
    _setup(db, policy)
    with db.session() as session:
        starter = {s.ticket_id for s in iter_open_ticket_states(session, policy, NOW, tiers={"starter"})}
        mid = {s.ticket_id for s in iter_open_ticket_states(session, policy, NOW, account_id=2)}
    assert starter == {"S1"}
    assert mid == {"E2", "E3"}


def test_events_pause_open_tickets_in_the_digest(db, policy):
    _setup(db, policy)
    # E2 waited on the customer for an hour: 60 more minutes left than without events.
    load_events(db, policy, [("E2", ago(90), "pending"), ("E2", ago(30), "open")])
    with db.session() as session:
        e2 = next(
            s for s in iter_open_ticket_states(session, policy, NOW, account_id=2) if s.ticket_id == "E2"
        )
    assert e2.minutes_left == 200


def test_ranking_what_is_at_stake(db, policy):
    _setup(db, policy)
    with db.session() as session:
        top = top_at_stake(iter_open_ticket_states(session, policy, NOW), 4)
    # Enterprise first; within it breached before at risk; then higher ACV first.
    keys = [(s.tier_rank, s.state, s.acv, s.ticket_id) for s in top]
    assert keys == [
        (2, BREACHED, 90000, "E1"),
        (2, BREACHED, 30000, "E3"),
        (2, AT_RISK, 90000, "E4"),
        (0, BREACHED, 1000, "S1"),
    ]


def test_more_overdue_ranks_first_at_equal_stakes(db, policy):
    add_account(db, "A", "enterprise", 50000)
    load(db, policy, [ticket("T1", "A", "sev1", "new", ago(35)), ticket("T2", "A", "sev1", "new", ago(80))])
    with db.session() as session:
        top = top_at_stake(iter_open_ticket_states(session, policy, NOW), 10)
    assert [(s.ticket_id, s.minutes_left) for s in top] == [("T2", -50), ("T1", -5)]


def test_streams_many_tickets_in_batches(db, policy):
    add_account(db, "A", "enterprise", 50000)
    rows = [
        ticket(f"T{i:05d}", "A", "sev2", "open", ago(i % 600), first_response_at=ago(i % 600))
        for i in range(4500)
    ]
    load(db, policy, rows)
    load_events(db, policy, [("T04499", ago(99), "pending"), ("T04499", ago(9), "open")])
    with db.session() as session:
        states = list(iter_open_ticket_states(session, policy, NOW))
    assert len(states) == 4500
    last = next(s for s in states if s.ticket_id == "T04499")
    assert last.minutes_left == 480 - (4499 % 600) + 90


def test_breaches_are_the_breached_states_of_the_full_stream(db, policy):
    """`iter_breaches` (the report's lean stream) must agree clock for clock with `iter_states`: events,
    pauses, business hours and a served tier the policy no longer has (judged on the account's tier)."""
    _setup(db, policy)
    load_events(db, policy, [("E3", ago(44), "pending"), ("E3", ago(40), "open")])
    with db.session() as session:
        session.execute(update(Ticket).where(Ticket.id == "E1").values(sla_tier="legacy"))
    with db.session() as session:
        full = iter_states(session, policy, NOW, 0.25)
        expected = sorted(Breach(s.tier, 0.0, s.metric) for s in full if s.state == BREACHED)
        lean = list(iter_breaches(session, policy, NOW, 0.25))
    assert sorted(b._replace(created_ts=0.0) for b in lean) == expected
    assert len(expected) == 3  # first responses of E1 (judged as its account's enterprise), E3 and S1
    created = {b.created_ts for b in lean if b.tier == "starter"}
    assert created == {ago(60 * 30).timestamp()}
