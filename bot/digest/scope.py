"""The SQL side of the digest: which open tickets can matter.

Pruning is lossless. An SLA clock only counts open time on its calendar, and only since the ticket was
created, so its elapsed time never exceeds the open time on that calendar between creation and now. A
ticket created after the instant from which (1 - at_risk_share) of its smallest running target of open
time remains until now is therefore "ok" on every clock, and can be left out of the stream without
changing a count, a rank or the attainment. Most open tickets are recent, so this skips a large share of
the clock evaluations, which are the digest's cost. Every approximation below errs towards keeping.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import ColumnElement, and_, false, or_

from bot.policy.model import Calendar, Policy
from bot.sla.calendar import timeline
from storage.models.tickets import Ticket

# Float arithmetic on epoch seconds: a minute of slack keeps rounding from ever pruning a ticket that
# sits on the boundary (it is kept and evaluated instead).
_SLACK_SECONDS = 60.0


def open_time_cut(cal: Calendar, now: datetime, minutes: float) -> datetime:
    """The earliest instant from which at most `minutes` of open time on `cal` elapse until `now`
    (plus slack): a clock started at or after it has used at most `minutes`."""
    tl = timeline(cal)
    now_ts = now.timestamp()
    seconds = minutes * 60
    try:
        # `near` must be at or before the answer to build the right years; open time never exceeds wall
        # time, so the answer is at most `now - seconds`. If it lies even before `near` (a calendar
        # that is almost never open), `instant` answers the first instant it knows, which is later:
        # fewer tickets pruned, none wrongly.
        cut = tl.instant(tl.position(now_ts) - seconds, near=now_ts - 10 * seconds - 7 * 86400)
    except ValueError:
        cut = now_ts - seconds  # wall time: the loosest bound, always safe
    return datetime.fromtimestamp(min(cut, now_ts - seconds) + _SLACK_SECONDS, UTC)


def old_enough(
    policy: Policy, now: datetime, share_left: float, tiers: set[str] | None
) -> ColumnElement[bool] | None:
    """Open tickets whose clocks may have used more than (1 - share_left) of a running target, judged by
    the tier each ticket runs on (`sla_tier`, as the SLA stream does). `share_left` = at_risk_share keeps what may be at risk or
    breached; 0 keeps what may be breached. None: no pruning possible."""
    used = 1.0 - share_left
    if used <= 0:
        return None
    clauses: list[ColumnElement[bool]] = []
    for tier in policy.tiers:
        if tiers is not None and tier.key not in tiers:
            continue
        for severity, target in tier.sla.items():
            cal = policy.calendars[target.calendar]
            res_cut = open_time_cut(cal, now, target.resolution * used)
            fr_cut = open_time_cut(cal, now, target.first_response * used)
            clauses.append(
                and_(
                    Ticket.sla_tier == tier.key,
                    Ticket.severity == severity,
                    # The first-response clock (shorter target) runs only until the first response.
                    or_(
                        Ticket.created_at < res_cut,
                        and_(Ticket.first_response_at.is_(None), Ticket.created_at < fr_cut),
                    ),
                )
            )
    # Tickets of tiers the policy does not know have no SLA; the stream would skip them anyway.
    return or_(*clauses) if clauses else false()


def stream_conditions(
    policy: Policy, now: datetime, at_risk_share: float, tiers: set[str] | None
) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if tiers is not None:
        conditions.append(Ticket.sla_tier.in_(sorted(tiers)))
    pruned = old_enough(policy, now, at_risk_share, tiers)
    if pruned is not None:
        conditions.append(pruned)
    return conditions
