"""SLA clocks of one ticket: first response and resolution, against its tier's targets.

Rules:
- Both clocks start at `created_at` and count open time on the calendar the severity's target names.
- The first-response clock never pauses. It stops at `first_response_at`; a ticket solved without any
  response stops it at `solved_at` (the solution is the answer the customer got).
- The resolution clock runs while the ticket is new or open, pauses while it is pending or on hold
  (waiting on the customer), and stops when it is solved or closed. A reopened ticket (solved -> open
  in its events) resumes it; time spent solved does not count.
- Events are the history. An unsolved ticket's current status holds from its last event onward (the
  export tells us the status now, not when it changed); a solved ticket changed at `solved_at`.
- With no events, a ticket that is pending or on hold now is taken to have paused at its first response
  (an agent's reply is what usually hands a ticket back to the customer), or at creation when there was
  none; a solved ticket ran from creation to `solved_at`.
- A target is breached once more than its minutes have run (met when solved/answered with exactly the
  target used); it is at risk while less than `at_risk_share` of the target is left.

The public functions take datetimes; the digest's hot path uses the `*_reading` functions, which take
epoch seconds and return plain tuples.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import NamedTuple, Protocol

from bot.policy.model import Calendar, Policy, SlaTarget
from bot.sla.calendar import Timeline, timeline


class Metric(StrEnum):
    """The two SLA clocks of a ticket."""

    FIRST_RESPONSE = "first_response"
    RESOLUTION = "resolution"


class SlaState(StrEnum):
    """Where a clock stands against its target. A StrEnum, so it still equals (and hashes as) the
    plain strings the views and older callers compare with."""

    OK = "ok"
    AT_RISK = "at_risk"
    BREACHED = "breached"


# The names callers already import (bot.digest, bench): the same members under their old names.
FIRST_RESPONSE, RESOLUTION = Metric.FIRST_RESPONSE, Metric.RESOLUTION
OK, AT_RISK, BREACHED = SlaState.OK, SlaState.AT_RISK, SlaState.BREACHED
RUNNING_STATUSES = frozenset({"new", "open"})
PAUSED_STATUSES = frozenset({"pending", "on-hold"})
SOLVED_STATUSES = frozenset({"solved", "closed"})


class TicketTimes(Protocol):
    """What a clock needs of a ticket: an ORM `Ticket` or any row-like object with these fields."""

    @property
    def status(self) -> str: ...
    @property
    def created_at(self) -> datetime: ...
    @property
    def first_response_at(self) -> datetime | None: ...
    @property
    def solved_at(self) -> datetime | None: ...


@dataclass(frozen=True)
class Clock:
    metric: Metric
    target_minutes: int
    calendar: str
    # When the target is (or was) reached; for a paused clock, when it would be if it resumed now.
    due_at: datetime
    elapsed_minutes: int  # open minutes the clock has run
    minutes_left: int  # negative when overdue
    state: SlaState
    running: bool
    stopped: bool  # responded / solved: the outcome is decided
    met: bool | None  # set once stopped

    @property
    def paused(self) -> bool:
        return not self.running and not self.stopped


Segment = tuple[float, float]  # epoch seconds [start, end) during which a clock ran


class Times(NamedTuple):
    """A ticket's status and timestamps as epoch seconds, which is what the clocks compute with."""

    status: str
    created: float
    first_response: float | None
    solved: float | None


def is_solved(status: str) -> bool:
    return status in SOLVED_STATUSES


def _ts(value: datetime | None) -> float | None:
    return None if value is None else value.timestamp()


def times_of(ticket: TicketTimes) -> Times:
    return Times(
        ticket.status, ticket.created_at.timestamp(), _ts(ticket.first_response_at), _ts(ticket.solved_at)
    )


class Reading(NamedTuple):
    """A clock as numbers (epoch and business seconds): the digest's hot path builds no objects."""

    metric: Metric
    target_minutes: int
    due_ts: float
    elapsed: float  # business seconds run
    left: float  # business seconds left, negative when overdue
    state: SlaState
    running: bool
    stopped: bool


def measure(
    metric: Metric,
    target: SlaTarget,
    tl: Timeline,
    segments: Sequence[Segment],
    running: bool,
    stopped: bool,
    now_ts: float,
    at_risk_share: float,
) -> Reading:
    minutes = target.first_response if metric == FIRST_RESPONSE else target.resolution
    target_s = minutes * 60.0
    elapsed = 0.0
    due_ts: float | None = None
    last_end, last_pos = now_ts, None
    for start, end in segments:
        p0 = tl.position(start)
        last_end, last_pos = end, tl.position(end)
        if due_ts is None and elapsed + (last_pos - p0) >= target_s:
            due_ts = tl.instant(p0 + (target_s - elapsed), near=start)
        elapsed += last_pos - p0
    if due_ts is None:
        # Not reached yet: project from now (running or paused) or from when the clock stopped.
        base = last_end if stopped else max(now_ts, last_end)
        base_pos = last_pos if base == last_end and last_pos is not None else tl.position(base)
        due_ts = tl.instant(base_pos + (target_s - elapsed), near=base)
    left = target_s - elapsed
    if stopped:
        state = OK if left >= 0 else BREACHED
    else:
        state = BREACHED if left < 0 else AT_RISK if left < at_risk_share * target_s else OK
    return Reading(metric, minutes, due_ts, elapsed, left, state, running, stopped)


def clock_of(r: Reading, calendar: str) -> Clock:
    return Clock(
        metric=r.metric,
        target_minutes=r.target_minutes,
        calendar=calendar,
        due_at=datetime.fromtimestamp(r.due_ts, UTC),
        elapsed_minutes=int(r.elapsed // 60),
        minutes_left=math.floor(r.left / 60),
        state=r.state,
        running=r.running,
        stopped=r.stopped,
        met=r.left >= 0 if r.stopped else None,
    )


def first_response_reading(
    t: Times, target: SlaTarget, tl: Timeline, now_ts: float, at_risk_share: float
) -> Reading:
    stop = t.first_response
    if stop is None and is_solved(t.status):
        stop = t.solved
    end = stop if stop is not None else now_ts
    segment = (t.created, max(end, t.created))
    return measure(
        FIRST_RESPONSE, target, tl, [segment], stop is None, stop is not None, now_ts, at_risk_share
    )


def resolution_segments(
    t: Times, events: Sequence[tuple[float, str]], now_ts: float
) -> tuple[list[Segment], bool, bool]:
    """The spans during which the resolution clock ran, whether it runs now, and whether it stopped.
    `events` are (epoch seconds, status), in any order."""
    created = t.created
    stopped = is_solved(t.status) and t.solved is not None
    end = max(t.solved if stopped and t.solved is not None else now_ts, created)
    running_now = t.status in RUNNING_STATUSES
    if not events:
        if t.status in PAUSED_STATUSES:
            paused_at = t.first_response if t.first_response is not None else created
            return [(created, min(max(paused_at, created), end))], False, False
        return [(created, end)], running_now, stopped
    segments: list[Segment] = []
    status, since = "new", created
    for at, next_status in sorted(events):
        at = min(max(at, created), end)
        if status in RUNNING_STATUSES and at > since:
            segments.append((since, at))
        status, since = next_status, max(since, at)
    # A solved ticket changed status at `solved_at`, so its last event's status lasted until then.
    last = status if stopped else t.status
    if last in RUNNING_STATUSES and end > since:
        segments.append((since, end))
    return segments, running_now, stopped


def resolution_reading(
    t: Times,
    events: Sequence[tuple[float, str]],
    target: SlaTarget,
    tl: Timeline,
    now_ts: float,
    at_risk_share: float,
) -> Reading:
    segments, running, stopped = resolution_segments(t, events, now_ts)
    return measure(RESOLUTION, target, tl, segments, running, stopped, now_ts, at_risk_share)


def first_response_clock(
    ticket: TicketTimes, target: SlaTarget, cal: Calendar, now: datetime, at_risk_share: float = 0.25
) -> Clock:
    reading = first_response_reading(times_of(ticket), target, timeline(cal), now.timestamp(), at_risk_share)
    return clock_of(reading, target.calendar)


def resolution_clock(
    ticket: TicketTimes,
    events: Sequence[tuple[datetime, str]],
    target: SlaTarget,
    cal: Calendar,
    now: datetime,
    at_risk_share: float = 0.25,
) -> Clock:
    history = [(at.timestamp(), status) for at, status in events]
    reading = resolution_reading(
        times_of(ticket), history, target, timeline(cal), now.timestamp(), at_risk_share
    )
    return clock_of(reading, target.calendar)


def sla_target(policy: Policy, tier: str, severity: str) -> tuple[SlaTarget, Calendar] | None:
    """The target and calendar for a tier and severity, or None for a tier the policy no longer has."""
    try:
        target = policy.tier(tier).sla[severity]
    except KeyError:
        return None
    return target, policy.calendars[target.calendar]


@dataclass(frozen=True)
class Outcomes:
    """What a ticket row stores: decided outcomes and wall-clock durations (None while undecided)."""

    first_response_met: bool | None
    resolution_met: bool | None
    first_response_minutes: int | None
    resolution_minutes: int | None


def decided_outcomes(
    ticket: TicketTimes,
    events: Sequence[tuple[datetime, str]],
    target: tuple[SlaTarget, Calendar] | None,
) -> Outcomes:
    """Outcomes that do not depend on the current time (`now` cannot change a stopped clock)."""
    t = times_of(ticket)
    fr_minutes = None if t.first_response is None else int((t.first_response - t.created) // 60)
    solved = is_solved(t.status) and t.solved is not None
    res_minutes = int((t.solved - t.created) // 60) if solved and t.solved is not None else None
    fr_met = res_met = None
    if target is not None:
        sla, cal = target
        tl = timeline(cal)
        # `now` only projects running clocks; these outcomes are read from stopped ones.
        now_ts = t.solved or t.first_response or t.created
        if t.first_response is not None or solved:
            fr_met = first_response_reading(t, sla, tl, now_ts, 0.25).left >= 0
        if solved:
            history = [(at.timestamp(), status) for at, status in events]
            res_met = resolution_reading(t, history, sla, tl, now_ts, 0.25).left >= 0
    return Outcomes(fr_met, res_met, fr_minutes, res_minutes)
