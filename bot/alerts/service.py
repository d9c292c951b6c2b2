"""The front door of alerts (issue 11): SLA alert ladders, escalations, acks, history, health drops.

Plain functions with explicit dependencies (a Session, the Policy, `now`, settings values); typed
results. `due_steps` and `due_escalations` record what they hand out in the session's transaction (the
history row and the next due time), so the caller claims its ledger rows in that same transaction and
a step is handed out once however many processes tick.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, insert, select, tuple_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.alerts import due
from bot.alerts.due import Evaluated, Tiers
from bot.alerts.health import DropKind, HealthDrop, health_drops, record_health_change, record_health_changes
from bot.alerts.ladder import Decision
from bot.alerts.model import (
    AckResult,
    AlertTick,
    DueStep,
    HistoryEntry,
    SkippedStep,
    StepKind,
    StepOutcome,
    TicketAlertHistory,
)
from bot.alerts.stakes import stakes
from bot.policy.model import Policy
from storage.models.alerts import AlertAck, AlertDue, AlertEvent

__all__ = [
    "DropKind",
    "HealthDrop",
    "acknowledge",
    "due_escalations",
    "due_steps",
    "health_drops",
    "history",
    "record_health_change",
    "record_health_changes",
    "refresh_due",
    "snooze",
    "stakes",
    "sync_due",
]

TICK_LIMIT = 2000  # (ticket, target) pairs handled per run; more wait for the next tick
NO_CHANNEL = "no channel: the account has no slack_channel and its tier no alert_channel"


def _settings(late_after: timedelta, grace: timedelta) -> due.Settings:
    return due.Settings(late_after=late_after, grace=grace)


def sync_due(session: Session, policy: Policy, now: datetime, *, late_after: timedelta, grace: timedelta) -> int:  # fmt: skip
    """Bring next-due times up to date: for every open ticket when the policy's ladders, targets or
    calendars changed (or on the first run), else for the tickets written or given status events since
    the last sync. Returns how many tickets were recomputed (0 when nothing changed: two small reads)."""
    plan = due.sync_plan(session, policy)
    if plan is None:
        return 0
    ids = None if plan.full else due.changed_tickets(session, plan)
    count = due.rebuild(session, Tiers(policy), now, _settings(late_after, grace), ids)
    due.mark_synced(session, plan.store)
    return count


def refresh_due(
    session: Session,
    policy: Policy,
    now: datetime,
    ticket_ids: list[str],
    *,
    late_after: timedelta,
    grace: timedelta,
) -> int:
    """Recompute the next-due times of these tickets (a sync that changed a few tickets calls this)."""
    return due.rebuild(session, Tiers(policy), now, _settings(late_after, grace), ticket_ids)


def due_steps(
    session: Session,
    policy: Policy,
    now: datetime,
    *,
    late_after: timedelta,
    grace: timedelta,
    limit: int = TICK_LIMIT,
) -> AlertTick:
    """Ladder steps to post now, most at stake first, and the ones skipped (with their reasons)."""
    return _tick(session, policy, now, StepKind.STEP, late_after, grace, limit)


def due_escalations(
    session: Session,
    policy: Policy,
    now: datetime,
    *,
    late_after: timedelta,
    grace: timedelta,
    limit: int = TICK_LIMIT,
) -> AlertTick:
    """Escalation levels to post now: a breach nobody acknowledged for a level's `after`."""
    return _tick(session, policy, now, StepKind.ESCALATION, late_after, grace, limit)


def _channel(e: Evaluated, d: Decision) -> str | None:
    if d.kind is StepKind.ESCALATION and d.level is not None:
        notify = e.tier.escalation[d.level - 1].notify
        if notify.kind == "channel":
            return notify.ids[0]
    return e.facts.slack_channel or e.tier.alert_channel


def _step(e: Evaluated, d: Decision, channel: str) -> DueStep:
    f = e.facts
    notify = e.tier.escalation[d.level - 1].notify if d.level is not None else None
    return DueStep(
        kind=d.kind,
        ticket_id=f.ticket_id,
        account_id=f.account_id,
        account_name=f.account_name,
        tier=f.tier,
        tier_rank=e.tier_rank,
        acv=f.acv,
        severity=f.severity,
        subject=f.subject,
        target=e.clock.metric,
        target_minutes=e.clock.target_minutes,
        step=d.label,
        offset_minutes=d.offset,
        due_at=d.due_at,
        minutes_left=e.clock.left_minutes,
        channel=channel,
        assignee=f.assignee,
        owner=f.owner if d.offset >= 0 else None,
        late=d.late_minutes > 0,
        late_minutes=d.late_minutes,
        level=d.level,
        notify=notify,
    )


def _tick(
    session: Session,
    policy: Policy,
    now: datetime,
    kind: StepKind,
    late_after: timedelta,
    grace: timedelta,
    limit: int,
) -> AlertTick:
    rebuilt = sync_due(session, policy, now, late_after=late_after, grace=grace)
    pairs = due.due_pairs(session, kind, now, limit)
    if not pairs:
        return AlertTick([], [], rebuilt)
    evaluated, gone = due.evaluate(session, Tiers(policy), now, pairs, _settings(late_after, grace))
    posts: list[DueStep] = []
    skipped: list[SkippedStep] = []
    history: list[dict[str, Any]] = []
    moves: list[dict[str, Any]] = []
    column = "next_step_at" if kind is StepKind.STEP else "next_escalation_at"
    for e in evaluated:
        if e.plan.done:
            gone.append((e.facts.ticket_id, e.clock.metric))
            continue
        for d in e.plan.decisions:
            if d.kind is not kind:
                continue
            channel = _channel(e, d)
            reason = d.skip or (None if channel else NO_CHANNEL)
            outcome = (
                StepOutcome.SKIPPED if reason else StepOutcome.LATE if d.late_minutes else StepOutcome.FIRED
            )
            history.append(
                {
                    "ticket_id": e.facts.ticket_id,
                    "target": e.clock.metric,
                    "kind": d.kind.value,
                    "step": d.label,
                    "escalation_level": d.level,
                    "outcome": outcome.value,
                    "reason": reason,
                    "due_at": d.due_at,
                    "at": now,
                    "channel": channel,
                }
            )
            if reason is not None or channel is None:
                skipped.append(
                    SkippedStep(
                        d.kind, e.facts.ticket_id, e.clock.metric, d.label, d.due_at, reason or "", channel
                    )
                )
            else:
                posts.append(_step(e, d, channel))
        nxt = e.plan.next_step_at if kind is StepKind.STEP else e.plan.next_escalation_at
        moves.append(
            {"ticket_id": e.facts.ticket_id, "target": e.clock.metric, column: nxt, "updated_at": now}
        )
    if history:
        session.execute(insert(AlertEvent), history)
    if moves:
        session.execute(update(AlertDue), moves)  # bulk UPDATE by primary key
    if gone:
        _forget(session, gone)
    posts.sort(key=lambda s: stakes(s.tier_rank, s.severity, s.acv, -s.minutes_left))
    return AlertTick(posts, skipped, rebuilt)


def _forget(session: Session, pairs: list[tuple[str, str]]) -> None:
    for start in range(0, len(pairs), due.CHUNK):
        chunk = pairs[start : start + due.CHUNK]
        session.execute(delete(AlertDue).where(tuple_(AlertDue.ticket_id, AlertDue.target).in_(chunk)))


def _result(row: AlertAck, changed: bool) -> AckResult:
    return AckResult(
        row.ticket_id, row.target, row.acked_by, row.acked_at, row.snoozed_until, row.snoozed_by, changed
    )


def _ack_row(session: Session, ticket_id: str, target: str, now: datetime) -> AlertAck:
    row = session.get(AlertAck, (ticket_id, target))
    if row is not None:
        return row
    try:
        with session.begin_nested():  # a concurrent first click inserts too: then read theirs
            row = AlertAck(ticket_id=ticket_id, target=target, updated_at=now)
            session.add(row)
    except IntegrityError:
        row = session.get(AlertAck, (ticket_id, target), populate_existing=True)
        assert row is not None
    return row


def acknowledge(session: Session, ticket_id: str, target: str, user: str, now: datetime) -> AckResult:
    """Stop the ladder and the escalations of this ticket's target; the first acknowledgement stands."""
    row = _ack_row(session, ticket_id, target, now)
    changed = row.acked_by is None
    if changed:
        row.acked_by, row.acked_at, row.snoozed_until, row.updated_at = user, now, None, now
        session.execute(delete(AlertDue).where(AlertDue.ticket_id == ticket_id, AlertDue.target == target))
    session.flush()
    return _result(row, changed)


def snooze(session: Session, ticket_id: str, target: str, user: str, until: datetime, now: datetime) -> AckResult:  # fmt: skip
    """Nothing of this target posts until `until`; an acknowledged target stays acknowledged."""
    row = _ack_row(session, ticket_id, target, now)
    changed = row.acked_by is None
    if changed:
        row.snoozed_until, row.snoozed_by, row.updated_at = until, user, now
    session.flush()
    return _result(row, changed)


def history(session: Session, ticket_id: str) -> TicketAlertHistory:
    """Every step and escalation level of a ticket (fired, late, skipped and why) and its acks."""
    events = session.scalars(
        select(AlertEvent).where(AlertEvent.ticket_id == ticket_id).order_by(AlertEvent.at, AlertEvent.id)
    ).all()
    acks = session.scalars(select(AlertAck).where(AlertAck.ticket_id == ticket_id).order_by(AlertAck.target))
    entries = [
        HistoryEntry(
            e.target,
            StepKind(e.kind),
            e.step,
            StepOutcome(e.outcome),
            e.due_at,
            e.at,
            e.channel,
            e.reason,
            e.escalation_level,
        )
        for e in events
    ]
    return TicketAlertHistory(ticket_id, entries, [_result(a, False) for a in acks])
