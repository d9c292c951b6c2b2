"""The ladder through the service: every step once, acks, pauses, restarts, business hours, escalations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.alerts import service
from bot.alerts.model import StepOutcome
from bot.policy.model import Policy
from storage.db import Database
from tests.alerts.helpers import account, change, escalate, tick, ticket


def utc(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


def names(result: object) -> list[str]:
    return [f"{s.target}:{s.step}" for s in result.posts]  # type: ignore[attr-defined]


def test_a_ticket_walks_through_every_step_of_its_ladder(db: Database, policy: Policy) -> None:
    acme = account(db, policy)
    ticket(db, "T-1", acme, utc(23, 10))  # Enterprise sev1, 24x7: response 30m, resolution 4h
    seen: list[str] = []
    minute = utc(23, 10)
    while minute <= utc(23, 15):  # a tick a minute
        seen += names(tick(db, policy, minute))
        minute += timedelta(minutes=1)
    assert seen == [
        "first_response:-15m",  # 10:15 ("-60m" would be before the ticket existed)
        "first_response:0",  # 10:30
        "first_response:+30m",  # 11:00
        "resolution:-60m",  # 13:00
        "resolution:-15m",
        "resolution:0",
        "resolution:+30m",  # 14:30
    ]
    assert tick(db, policy, utc(23, 16)).posts == []  # each step once: nothing is left


def test_the_exact_minutes_and_what_a_step_carries(db: Database, policy: Policy) -> None:
    acme = account(db, policy)
    ticket(db, "T-2", acme, utc(23, 10))
    assert tick(db, policy, utc(23, 10, 14)).posts == []
    [warning] = tick(db, policy, utc(23, 10, 15)).posts
    assert (warning.step, warning.minutes_left, warning.channel) == ("-15m", 15, "CACME")
    assert warning.owner is None and warning.assignee == "ana@example.com" and not warning.late
    assert tick(db, policy, utc(23, 10, 16)).posts == []
    [breach] = tick(db, policy, utc(23, 10, 31)).posts
    assert (breach.step, breach.minutes_left, breach.owner) == ("0", -1, "UOWNER")
    assert breach.period == "T-2:first_response:0"


def test_acknowledging_stops_the_ladder_of_that_target(db: Database, policy: Policy) -> None:
    acme = account(db, policy)
    ticket(db, "T-3", acme, utc(23, 10))
    assert names(tick(db, policy, utc(23, 10, 15))) == ["first_response:-15m"]
    with db.session() as session:
        first = service.acknowledge(session, "T-3", "first_response", "UANA", utc(23, 10, 20))
        again = service.acknowledge(session, "T-3", "first_response", "UBOB", utc(23, 10, 21))
    assert first.changed and not again.changed and again.acked_by == "UANA"
    assert tick(db, policy, utc(23, 11, 0)).posts == []
    assert escalate(db, policy, utc(23, 12, 0)).posts == []
    assert names(tick(db, policy, utc(23, 13, 0))) == ["resolution:-60m"]  # the other target goes on


def test_a_paused_clock_does_not_alert_and_its_steps_move_with_the_pause(
    db: Database, policy: Policy
) -> None:
    acme = account(db, policy)
    ticket(db, "T-4", acme, utc(23, 10), first_response=utc(23, 10, 5))
    change(db, "T-4", utc(23, 12), "pending")  # 2h of the 4h resolution target run
    assert tick(db, policy, utc(23, 13, 0)).posts == []  # -60m would have been at 13:00
    change(db, "T-4", utc(23, 15), "open")  # resumed after 3 h: -60m is now due at 16:00
    assert tick(db, policy, utc(23, 15, 59)).posts == []
    assert names(tick(db, policy, utc(23, 16, 0))) == ["resolution:-60m"]


def test_a_restart_in_the_middle_sends_the_newest_step_late_and_skips_the_rest(
    db: Database, policy: Policy
) -> None:
    acme = account(db, policy)
    ticket(db, "T-5", acme, utc(23, 10), first_response=utc(23, 10, 5))
    assert tick(db, policy, utc(23, 12)).posts == []
    # tierbot is down from 12:00 to 14:10: -60m (13:00), -15m (13:45) and 0 (14:00) came due meanwhile.
    [late] = tick(db, policy, utc(23, 14, 10)).posts
    assert (late.step, late.late, late.late_minutes) == ("0", True, 10)
    with db.session() as session:
        entries = service.history(session, "T-5").entries
    assert [(e.step, e.outcome, (e.reason or "")[:10]) for e in entries] == [
        ("-60m", StepOutcome.SKIPPED, "superseded"),
        ("-15m", StepOutcome.SKIPPED, "superseded"),
        ("0", StepOutcome.LATE, ""),
    ]
    assert tick(db, policy, utc(23, 14, 11)).posts == []
    # Down again beyond the grace: the +30m step (14:30) is skipped with the reason.
    assert tick(db, policy, utc(23, 21, 0)).posts == []
    with db.session() as session:
        last = service.history(session, "T-5").entries[-1]
    assert last.step == "+30m" and last.outcome is StepOutcome.SKIPPED
    assert last.reason is not None and "beyond the 6 h grace" in last.reason


def test_a_business_hours_step_at_night_fires_when_the_clock_reaches_it(db: Database, policy: Policy) -> None:
    acme = account(db, policy)
    # sev3 Enterprise: 4 h first response on the business calendar (New York, 09:00-17:00 Mon-Fri).
    # Created Tue 24 Nov 16:00 New York (21:00 UTC): one hour runs before closing. On the wall clock
    # the -60m step would be at 19:00, at night; on the SLA clock it is Wed 11:00 New York.
    ticket(db, "T-6", acme, utc(24, 21), severity="sev3")
    for night in (utc(25, 0), utc(25, 3), utc(25, 14), utc(25, 15, 59)):  # 19:00 ... 10:59 New York
        assert tick(db, policy, night).posts == []
    [step] = tick(db, policy, utc(25, 16)).posts
    assert (step.step, step.late, step.minutes_left) == ("-60m", False, 60)
    assert names(tick(db, policy, utc(25, 16, 45))) == ["first_response:-15m"]
    assert names(tick(db, policy, utc(25, 17))) == ["first_response:0"]


def test_escalation_levels_each_fire_once_after_an_unacknowledged_breach(
    db: Database, policy: Policy
) -> None:
    acme = account(db, policy)
    ticket(db, "T-7", acme, utc(23, 10))  # breach at 10:30; L1 at +15m, L2 at +60m
    assert escalate(db, policy, utc(23, 10, 44)).posts == []
    [l1] = escalate(db, policy, utc(23, 10, 45)).posts
    assert (l1.step, l1.level, l1.notify and l1.notify.kind, l1.channel) == ("L1", 1, "usergroup", "CACME")
    assert escalate(db, policy, utc(23, 11, 0)).posts == []
    [l2] = escalate(db, policy, utc(23, 11, 30)).posts
    assert (l2.step, l2.channel) == ("L2", "#support-escalations")
    assert escalate(db, policy, utc(23, 12, 0)).posts == []


def test_a_snooze_holds_the_steps_back_and_the_newest_comes_after_it(db: Database, policy: Policy) -> None:
    acme = account(db, policy)
    ticket(db, "T-8", acme, utc(23, 10))
    with db.session() as session:
        service.snooze(session, "T-8", "first_response", "UANA", utc(23, 21), utc(23, 10, 5))
    assert tick(db, policy, utc(23, 10, 15)).posts == []
    assert tick(db, policy, utc(23, 11, 0)).posts == []
    [after] = tick(db, policy, utc(23, 21, 0)).posts  # snooze over: +30m (11:00), neither late nor missed
    assert (after.step, after.late) == ("+30m", False)
