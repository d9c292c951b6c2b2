"""When each step of a ticket's alert ladder comes due, and what to do with the steps that have.

A step is a point on an SLA clock, not on the wall clock: "-15m" is reached when the clock has run its
target less 15 minutes of open time on the target's calendar, "+30m" when it has run 30 minutes past
it. So a step on a business-hours calendar that falls at night is reached when the office opens and
the clock moves again, never before; and a paused resolution clock (pending, on hold) reaches nothing
until it resumes. Escalation levels are points on the same clock (`after` past the target).

Rules, per (ticket, target):
- a clock that stopped (responded, solved) or a target someone acknowledged gets nothing more;
- a paused clock or a snoozed target posts nothing; its steps wait (the due time moves with the pause);
- of several steps reached at once (tierbot was down), only the latest is posted and the older ones are
  skipped as superseded; escalation levels are each posted (they notify different people);
- a step posted more than `late_after` after it was reached is marked late; one reached longer ago than
  `grace` is skipped with the reason, and so is a warning (a negative step) whose target has breached.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from bot.alerts.model import StepKind, level_label, step_label
from bot.sla.calendar import Timeline
from bot.sla.clock import FIRST_RESPONSE, Segment, Times, is_solved, resolution_segments

# A paused clock with a step already reached is looked at again this often (it posts when it resumes;
# an import of its events also triggers a recomputation at once).
PAUSED_RECHECK = timedelta(minutes=10)


@dataclass(frozen=True)
class Track:
    """One SLA clock of one ticket as open-time positions: where it ran, whether it runs now."""

    metric: str
    target_minutes: int
    tl: Timeline
    spans: tuple[tuple[float, float, float, float], ...]  # (start, end, start position, end position)
    running: bool
    stopped: bool
    elapsed: float  # open seconds run up to now

    @property
    def paused(self) -> bool:
        return not self.running and not self.stopped

    @property
    def left_minutes(self) -> int:
        return int((self.target_minutes * 60 - self.elapsed) // 60)

    def reached(self, threshold_s: float, now_ts: float) -> tuple[float | None, bool]:
        """(epoch second at which the clock reaches `threshold_s` of open time, whether it has).
        Not reached yet: the projection if the clock ran from now on; None once it stopped short."""
        run = 0.0
        for start, _end, p0, p1 in self.spans:
            if run + (p1 - p0) >= threshold_s:
                return self.tl.instant(p0 + (threshold_s - run), near=start), True
            run += p1 - p0
        if self.stopped:
            return None, False
        base = max(now_ts, self.spans[-1][1]) if self.spans else now_ts
        return self.tl.instant(self.tl.position(base) + (threshold_s - run), near=base), False


def track(metric: str, target_minutes: int, tl: Timeline, t: Times, events: Sequence[tuple[float, str]], now_ts: float) -> Track:  # fmt: skip
    segments: list[Segment]
    if metric == FIRST_RESPONSE:
        stop = (
            t.first_response if t.first_response is not None else (t.solved if is_solved(t.status) else None)
        )
        end = stop if stop is not None else now_ts
        segments, running, stopped = [(t.created, max(end, t.created))], stop is None, stop is not None
    else:
        segments, running, stopped = resolution_segments(t, events, now_ts)
    spans = tuple((s, e, tl.position(s), tl.position(e)) for s, e in segments)
    elapsed = sum(p1 - p0 for _s, _e, p0, p1 in spans)
    return Track(metric, target_minutes, tl, spans, running, stopped, elapsed)


@dataclass(frozen=True)
class Decision:
    """What to do now with one step or level: post it (maybe late), or skip it with a reason."""

    kind: StepKind
    label: str
    offset: int  # minutes relative to the target
    level: int | None
    due_at: datetime
    late_minutes: int
    skip: str | None  # None: post it


@dataclass
class TargetPlan:
    decisions: list[Decision] = field(default_factory=list)
    next_step_at: datetime | None = None
    next_escalation_at: datetime | None = None
    done: bool = False  # nothing will ever be due again (stopped or acknowledged): drop the row


@dataclass(frozen=True)
class Ladder:
    steps: tuple[int, ...]  # offsets in minutes, earliest first
    levels: tuple[int, ...]  # escalation `after` minutes, in order


def _at(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


def _minutes(delta: timedelta) -> int:
    return int(delta.total_seconds() // 60)


def plan(
    clock: Track,
    ladder: Ladder,
    recorded: frozenset[tuple[str, str]],  # (kind, label) already fired or skipped
    now: datetime,
    *,
    acked: bool,
    snoozed_until: datetime | None,
    late_after: timedelta,
    grace: timedelta,
) -> TargetPlan:
    """The decisions due now for one target and the next times anything will be due."""
    if clock.stopped or acked:
        return TargetPlan(done=True)
    now_ts = now.timestamp()
    target_s = clock.target_minutes * 60.0
    result = TargetPlan()
    breached = clock.elapsed > target_s
    quiet_until = snoozed_until if snoozed_until is not None and snoozed_until > now else None
    for kind, offsets in ((StepKind.STEP, ladder.steps), (StepKind.ESCALATION, ladder.levels)):
        reached: list[tuple[int, int, str, float]] = []  # (offset, level, label, reached at)
        upcoming: list[float] = []
        for i, offset in enumerate(offsets, 1):
            label = step_label(offset) if kind is StepKind.STEP else level_label(i)
            threshold = target_s + offset * 60.0
            if (kind.value, label) in recorded or threshold <= 0:
                continue  # done, or a step before the clock even started (a later step covers it)
            at, hit = clock.reached(threshold, now_ts)
            if at is None:
                continue
            if hit:
                reached.append((offset, i, label, at))
            else:
                upcoming.append(at)
        nxt = min(upcoming) if upcoming else None
        if reached and (clock.paused or quiet_until is not None):
            # Nothing posts while the clock waits on the customer or the target is snoozed.
            wait = quiet_until if quiet_until is not None else now + PAUSED_RECHECK
            nxt_at: datetime | None = wait
        else:
            nxt_at = _at(nxt) if nxt is not None else None
            if quiet_until is not None and nxt_at is not None:
                nxt_at = max(nxt_at, quiet_until)
            # A step held back by a snooze that has ended counts from the snooze's end: not late, and
            # not missed because a snooze until tomorrow morning outlasted the grace.
            held = snoozed_until if snoozed_until is not None and snoozed_until <= now else None
            result.decisions.extend(_decide(kind, reached, now, breached, late_after, grace, held))
        if kind is StepKind.STEP:
            result.next_step_at = nxt_at
        else:
            result.next_escalation_at = nxt_at
    return result


def _decide(
    kind: StepKind,
    reached: list[tuple[int, int, str, float]],
    now: datetime,
    breached: bool,
    late_after: timedelta,
    grace: timedelta,
    held_until: datetime | None = None,
) -> list[Decision]:
    out: list[Decision] = []
    newest = reached[-1][2] if reached else None
    for offset, level, label, ts in reached:
        due = _at(ts)
        late = now - (max(due, held_until) if held_until is not None else due)
        level_of = level if kind is StepKind.ESCALATION else None
        skip: str | None = None
        if kind is StepKind.STEP and label != newest:
            skip = f"superseded: step {newest} was reached too and is posted instead"
        elif offset < 0 and breached:
            skip = "no longer relevant: the target breached before this warning could be posted"
        elif late > grace:
            skip = (
                f"missed: due {due.isoformat(timespec='minutes')}, {_minutes(late)} min ago, beyond the "
                f"{_minutes(grace) // 60} h grace (MISSED_POST_GRACE_HOURS)"
            )
        late_minutes = _minutes(late) if late > late_after else 0
        out.append(Decision(kind, label, offset, level_of, due, late_minutes, skip))
    return out
