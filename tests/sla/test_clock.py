from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.policy.model import load_policy
from bot.sla.clock import (
    AT_RISK,
    BREACHED,
    OK,
    decided_outcomes,
    first_response_clock,
    resolution_clock,
    sla_target,
)
from tests.sla.factories import utc

POLICY = load_policy()
# Enterprise sev1: first response 30m, resolution 4h, round the clock.
SEV1, ALWAYS = sla_target(POLICY, "enterprise", "sev1")  # type: ignore[misc]
# Starter sev1: first response 4h, resolution 2d, business hours in New York.
STARTER1, BUSINESS = sla_target(POLICY, "starter", "sev1")  # type: ignore[misc]
T0 = utc(2026, 11, 18, 10, 0)


@dataclass
class T:
    status: str
    created_at: datetime = T0
    first_response_at: datetime | None = None
    solved_at: datetime | None = None


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def test_first_response_at_risk_boundary():
    ticket = T("new")
    # 30m target, 25% = 7.5m: exactly 7.5m left is not yet at risk, one second less is.
    assert first_response_clock(ticket, SEV1, ALWAYS, at(22.5)).state == OK
    clock = first_response_clock(ticket, SEV1, ALWAYS, at(22.5) + timedelta(seconds=1))
    assert (clock.state, clock.minutes_left, clock.due_at) == (AT_RISK, 7, at(30))
    assert first_response_clock(ticket, SEV1, ALWAYS, at(30)).state == AT_RISK
    late = first_response_clock(ticket, SEV1, ALWAYS, at(30) + timedelta(seconds=1))
    assert (late.state, late.minutes_left) == (BREACHED, -1)
    assert first_response_clock(ticket, SEV1, ALWAYS, at(95)).minutes_left == -65


def test_at_risk_share_is_configurable():
    assert first_response_clock(T("new"), SEV1, ALWAYS, at(10), at_risk_share=0.75).state == AT_RISK
    assert first_response_clock(T("new"), SEV1, ALWAYS, at(10), at_risk_share=0.5).state == OK


def test_first_response_met_and_missed_on_answered_tickets():
    met = first_response_clock(T("open", first_response_at=at(30)), SEV1, ALWAYS, at(500))
    assert (met.stopped, met.met, met.state, met.elapsed_minutes) == (True, True, OK, 30)
    missed = first_response_clock(T("open", first_response_at=at(31)), SEV1, ALWAYS, at(500))
    assert (missed.met, missed.state, missed.minutes_left) == (False, BREACHED, -1)


def test_first_response_never_pauses():
    clock = first_response_clock(T("pending"), SEV1, ALWAYS, at(45))
    assert (clock.running, clock.state, clock.minutes_left) == (True, BREACHED, -15)


def test_first_response_on_business_hours_friday_evening():
    ny = ZoneInfo("America/New_York")
    ticket = T("new", created_at=datetime(2026, 11, 20, 16, 0, tzinfo=ny))  # Friday 16:00, 4h target
    clock = first_response_clock(ticket, STARTER1, BUSINESS, datetime(2026, 11, 22, 12, 0, tzinfo=ny))
    assert (clock.elapsed_minutes, clock.minutes_left, clock.state) == (60, 180, OK)
    assert clock.due_at == datetime(2026, 11, 23, 12, 0, tzinfo=ny)


def test_resolution_pauses_while_pending_and_resumes():
    ticket = T("open", first_response_at=at(10))
    events = [(at(10), "open"), (at(60), "pending"), (at(180), "open")]
    clock = resolution_clock(ticket, events, SEV1, ALWAYS, at(240))
    # Ran 0-60 and 180-240: 120 of 240 minutes; due 120 minutes from now.
    assert (clock.elapsed_minutes, clock.minutes_left, clock.state, clock.running) == (120, 120, OK, True)
    assert clock.due_at == at(360)


def test_paused_clock_does_not_move():
    ticket = T("on-hold", first_response_at=at(10))
    events = [(at(60), "on-hold")]
    early = resolution_clock(ticket, events, SEV1, ALWAYS, at(100))
    later = resolution_clock(ticket, events, SEV1, ALWAYS, at(1000))
    assert early.minutes_left == later.minutes_left == 180
    assert later.paused and not later.running
    assert later.due_at == at(1000 + 180)  # if it resumed now


def test_pending_without_events_is_paused_since_first_response():
    clock = resolution_clock(T("pending", first_response_at=at(20)), [], SEV1, ALWAYS, at(600))
    assert (clock.elapsed_minutes, clock.minutes_left, clock.paused) == (20, 220, True)
    unanswered = resolution_clock(T("pending"), [], SEV1, ALWAYS, at(600))
    assert unanswered.elapsed_minutes == 0


def test_reopened_ticket_resumes_resolution_clock():
    events = [(at(60), "solved"), (at(300), "open")]
    clock = resolution_clock(T("open", first_response_at=at(5)), events, SEV1, ALWAYS, at(400))
    # 60 minutes before the solve, 100 since reopening; the solved time in between does not count.
    assert (clock.elapsed_minutes, clock.minutes_left, clock.state) == (160, 80, OK)


def test_reopened_and_solved_again_is_judged_on_both_runs():
    ticket = T("solved", first_response_at=at(5), solved_at=at(500))
    events = [(at(60), "solved"), (at(300), "open")]
    clock = resolution_clock(ticket, events, SEV1, ALWAYS, at(9999))
    assert (clock.elapsed_minutes, clock.met, clock.state) == (260, False, BREACHED)
    assert clock.due_at == at(300 + 180)
    ticket.solved_at = at(450)
    assert resolution_clock(ticket, events, SEV1, ALWAYS, at(9999)).met is True


def test_solved_without_events_met_and_missed():
    met = resolution_clock(T("solved", at(0), at(5), at(240)), [], SEV1, ALWAYS, at(9999))
    missed = resolution_clock(T("closed", at(0), at(5), at(241)), [], SEV1, ALWAYS, at(9999))
    assert (met.met, met.state, missed.met, missed.state) == (True, OK, False, BREACHED)


def test_decided_outcomes():
    target = (SEV1, ALWAYS)
    solved = decided_outcomes(T("solved", at(0), at(45), at(200)), [], target)
    assert (solved.first_response_met, solved.resolution_met) == (False, True)
    assert (solved.first_response_minutes, solved.resolution_minutes) == (45, 200)
    # Solved with no reply: the solution was the first response.
    silent = decided_outcomes(T("solved", at(0), None, at(20)), [], target)
    assert (silent.first_response_met, silent.first_response_minutes, silent.resolution_met) == (
        True,
        None,
        True,
    )
    still_open = decided_outcomes(T("open", at(0), at(10)), [], target)
    assert (still_open.first_response_met, still_open.resolution_met, still_open.resolution_minutes) == (
        True,
        None,
        None,
    )
    assert decided_outcomes(T("solved", at(0), at(10), at(20)), [], None).first_response_met is None
