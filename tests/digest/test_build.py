from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import asdict
from datetime import timedelta

from bot.digest import DigestSnapshot, build_digest, full_breach_list
from bot.digest.ranking import TopN
from bot.policy.model import Policy
from bot.sla.metrics import period_metrics
from storage.db import Database
from tests.conftest import add_account
from tests.digest.seed import NOW, add_ticket, ago

# Enterprise sev1: first response 30m, resolution 4h; Professional sev1: 1h / 8h; both on 24x7 calendars.


def _seed_ranking(db: Database, policy: Policy) -> None:
    big = add_account(db, policy, "Big Enterprise", 100_000)
    small = add_account(db, policy, "Small Enterprise", 50_000)
    pro = add_account(db, policy, "Pro Co", 20_000)
    add_ticket(db, "E1", small, created=ago(300))  # 60 min over
    add_ticket(db, "E2", big, created=ago(270))  # 30 min over
    add_ticket(db, "E3", big, created=ago(330))  # 90 min over
    add_ticket(db, "E4", big, created=ago(210))  # 30 min left of 240: at risk
    add_ticket(db, "P1", pro, created=ago(780))  # 300 min over
    add_ticket(db, "P2", pro, created=ago(400))  # 80 min left of 480: at risk
    add_ticket(db, "P-ok", pro, created=ago(60))
    add_ticket(
        db, "P-solved", pro, created=ago(900), status="solved", solved_at=ago(100), resolution_met=False
    )


def test_ranking_tier_then_state_then_acv_then_overdue(db: Database, policy: Policy) -> None:
    _seed_ranking(db, policy)
    with db.session() as session:
        digest = build_digest(session, policy, NOW)
    assert [i.ticket_id for i in digest.items] == ["E3", "E2", "E1", "E4", "P1", "P2"]
    assert [i.minutes_left for i in digest.items][:3] == [-90, -30, -60]
    assert digest.breached_total == 4 and digest.at_risk_total == 2
    assert digest.breached_by_tier == {"enterprise": 3, "professional": 1, "starter": 0}
    assert digest.at_risk_by_tier == {"enterprise": 1, "professional": 1, "starter": 0}
    assert digest.more_count == 0
    assert digest.tiers == ["enterprise", "professional", "starter"]
    first = digest.items[0]
    assert (first.account_name, first.tier, first.state, first.metric) == (
        "Big Enterprise",
        "enterprise",
        "breached",
        "resolution",
    )


def test_limit_keeps_the_most_at_stake_and_counts_the_rest(db: Database, policy: Policy) -> None:
    _seed_ranking(db, policy)
    with db.session() as session:
        two = build_digest(session, policy, NOW, limit=2)
        none = build_digest(session, policy, NOW, limit=0)
        everything = list(full_breach_list(session, policy, NOW))
    assert [i.ticket_id for i in two.items] == ["E3", "E2"]
    assert two.more_count == 4
    assert none.items == [] and none.more_count == 6
    assert [i.ticket_id for i in everything] == ["E3", "E2", "E1", "E4", "P1", "P2"]


def test_one_line_per_ticket_with_its_worse_clock(db: Database, policy: Policy) -> None:
    acct = add_account(db, policy, "Acme", 100_000)
    # No response after 210 min: first response (30m) is 180 min over, resolution (240m) is at risk.
    add_ticket(db, "T1", acct, created=ago(210), responded_after=None)
    with db.session() as session:
        digest = build_digest(session, policy, NOW)
    assert [(i.ticket_id, i.metric, i.state, i.minutes_left) for i in digest.items] == [
        ("T1", "first_response", "breached", -180)
    ]
    assert (digest.breached_total, digest.at_risk_total) == (1, 0)


def test_enterprise_breaches_only_top_tier_breached_and_capped(db: Database, policy: Policy) -> None:
    _seed_ranking(db, policy)
    with db.session() as session:
        digest = build_digest(session, policy, NOW, limit=1)
        capped = build_digest(session, policy, NOW, enterprise_cap=2)
        pro_only = build_digest(session, policy, NOW, tiers={"professional"})
    assert digest.enterprise_tier == "enterprise"
    # Not limited by `limit`: every top-tier breach, ranked; the at-risk E4 is not a breach.
    assert [i.ticket_id for i in digest.enterprise_breaches] == ["E3", "E2", "E1"]
    assert [i.ticket_id for i in capped.enterprise_breaches] == ["E3", "E2"]
    assert capped.enterprise_more == 1
    assert pro_only.enterprise_breaches == []
    assert [i.ticket_id for i in pro_only.items] == ["P1", "P2"]
    assert pro_only.tiers == ["professional"]
    assert pro_only.show_command == "tierbot digest show --tier professional"
    assert digest.show_command == "tierbot digest show"


def test_movement_against_previous_snapshot(db: Database, policy: Policy) -> None:
    _seed_ranking(db, policy)
    with db.session() as session:
        first = build_digest(session, policy, NOW)
    assert all(m.breached_delta is None for m in first.movement.values())
    stored = json.loads(json.dumps(first.snapshot().to_dict()))  # what the scheduler keeps
    previous = DigestSnapshot.from_dict(stored)
    assert previous == first.snapshot()
    assert json.dumps(asdict(previous))  # plain JSON all the way down

    big_id = add_account(db, policy, "Another Enterprise", 80_000)
    add_ticket(db, "E5", big_id, created=ago(400))  # one more enterprise breach
    later = NOW + timedelta(hours=1)
    with db.session() as session:
        second = build_digest(session, policy, later, previous=previous)
    ent = second.movement["enterprise"]
    # An hour later E4 (30 min left) is breached too, and E5 is new: 3 -> 5 breached, 1 -> 0 at risk.
    assert (ent.breached, ent.breached_delta, ent.at_risk, ent.at_risk_delta) == (5, 2, 0, -1)
    assert ent.worse
    pro = second.movement["professional"]
    # P2 had 80 min left, 20 now: still at risk, so no movement.
    assert (pro.breached, pro.breached_delta, pro.at_risk, pro.at_risk_delta) == (1, 0, 1, 0)
    assert not pro.worse
    assert second.movement["starter"].breached_delta == 0


def test_movement_of_attainment_in_points(db: Database, policy: Policy) -> None:
    acct = add_account(db, policy, "Acme", 100_000)
    for n in range(4):
        add_ticket(
            db, f"OK{n}", acct, created=ago(2000), status="solved", solved_at=ago(1900), resolution_met=True
        )
    with db.session() as session:
        before = build_digest(session, policy, NOW)
    assert before.attainment["enterprise"] == 100.0
    add_ticket(db, "LATE", acct, created=ago(600))  # open, resolution 4h breached: a missed target
    with db.session() as session:
        after = build_digest(session, policy, NOW, previous=before.snapshot())
    # Decided targets: 5 first responses met, 4 resolutions met, 1 resolution missed -> 9 of 10.
    assert after.attainment["enterprise"] == 90.0
    assert after.movement["enterprise"].attainment_delta == -10.0
    assert after.attainment["starter"] is None
    assert after.movement["starter"].attainment_delta is None


def test_attainment_matches_period_metrics_and_ignores_older_tickets(db: Database, policy: Policy) -> None:
    ent = add_account(db, policy, "Acme", 100_000)
    pro = add_account(db, policy, "Pro Co", 20_000)
    add_ticket(db, "old-missed", ent, created=NOW - timedelta(days=8), status="closed",
               solved_at=NOW - timedelta(days=7, hours=12), resolution_met=False)  # fmt: skip
    add_ticket(db, "e-met", ent, created=ago(3000), status="solved", solved_at=ago(2900), resolution_met=True)
    add_ticket(db, "e-late-fr", ent, created=ago(100), responded_after=None)  # open, first response breached
    add_ticket(db, "e-missed", ent, created=ago(5000), status="solved", solved_at=ago(4000),
               first_response_met=False, resolution_met=False)  # fmt: skip
    add_ticket(db, "p-met", pro, created=ago(3000), status="solved", solved_at=ago(2900), resolution_met=True)
    with db.session() as session:
        digest = build_digest(session, policy, NOW)
        for tier in ("enterprise", "professional"):
            expected = period_metrics(session, policy, NOW - timedelta(days=7), NOW, tier=tier, now=NOW)
            assert expected.sla_attainment is not None
            assert digest.attainment[tier] == expected.sla_attainment * 100
    # Enterprise: met FR e-met, resolution e-met; missed FR+resolution e-missed, FR e-late-fr -> 2 of 5.
    assert digest.attainment["enterprise"] == 40.0
    assert digest.attainment["professional"] == 100.0


def test_empty_database(db: Database, policy: Policy) -> None:
    with db.session() as session:
        digest = build_digest(session, policy, NOW)
    assert digest.empty and digest.items == [] and digest.enterprise_breaches == []
    assert digest.attainment == {"enterprise": None, "professional": None, "starter": None}


def test_top_n_keeps_the_smallest_keys_in_order() -> None:
    rng = random.Random(7)
    keys = [(rng.randint(0, 3), rng.random()) for _ in range(500)]
    top: TopN[tuple[int, float]] = TopN(10)

    def const(key: tuple[int, float]) -> Callable[[], tuple[int, float]]:
        return lambda: key

    for key in keys:
        top.push(key, const(key))
    assert top.ranked() == sorted(keys)[:10]
    assert top.dropped == 490 and top.seen == 500


def test_snapshot_from_partial_dict() -> None:
    snap = DigestSnapshot.from_dict({"breached": {"enterprise": "3"}, "attainment": {"enterprise": 91}})
    assert (
        snap.breached == {"enterprise": 3} and snap.at_risk == {} and snap.attainment == {"enterprise": 91.0}
    )
