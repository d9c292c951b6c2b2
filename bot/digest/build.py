"""Build the scheduled SLA digest: breached and at-risk tickets ranked by what is at stake, per-tier SLA
attainment over the last week, and how both moved since the previous digest.

Performance: this runs over a million tickets. Open tickets are evaluated once, by the streaming SLA
engine (`iter_states`, the engine of `iter_open_ticket_states`, given extra SQL conditions), less those
too young to be anything but ok (pruned in SQL, losslessly: see `scope`), and only the top `limit`
items (plus the capped top-tier breaches) are held in memory. Attainment comes from one grouped SQL
aggregate over the week's decided outcomes, plus the breached open clocks counted during that same
stream, instead of `period_metrics` per tier, which would evaluate the week's open tickets again for
every tier.

Attainment matches `period_metrics(...).sla_attainment * 100` for the same window: tickets created in
[now - window, now), grouped by the tier each ticket was served under (`Ticket.sla_tier`), first response
and resolution pooled, open clocks already past their target counted as missed. Open clocks are judged,
like solved ones, under the tier the ticket was opened in (`sla_tier`; README, "Tier changes and open
tickets").
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta
from functools import partial
from itertools import chain

from sqlalchemy.orm import Session

from bot.digest.model import Digest, DigestItem, DigestSnapshot, movement, show_command
from bot.digest.ranking import TopN, item_from_state, rank_all, worst_per_ticket
from bot.digest.scope import stream_conditions
from bot.policy.model import Policy
from bot.sla.clock import AT_RISK, BREACHED
from bot.sla.metrics import attainment_by_tier
from bot.sla.state import TicketState, iter_states, stake_key
from storage.models.tickets import Ticket

WINDOW_DAYS = 7
# Top-tier breaches get Acknowledge/Snooze buttons; Slack caps a message at 50 blocks.
ENTERPRISE_CAP = 50


def build_digest(
    session: Session,
    policy: Policy,
    now: datetime,
    *,
    tiers: set[str] | None = None,
    previous: DigestSnapshot | None = None,
    limit: int = 15,
    at_risk_share: float = 0.25,
    window_days: int = WINDOW_DAYS,
    enterprise_cap: int = ENTERPRISE_CAP,
) -> Digest:
    """The digest for `tiers` (all when None) as of `now` (aware, UTC)."""
    covered = [t.key for t in policy.tiers if tiers is None or t.key in tiers]
    top_tier = policy.tiers[0].key
    start = now - timedelta(days=window_days)
    decided = attainment_by_tier(session, start, now)  # (met, decided) per served tier

    top: TopN[DigestItem] = TopN(limit)
    top_breaches: TopN[DigestItem] = TopN(enterprise_cap)
    breached: Counter[str] = Counter()
    at_risk: Counter[str] = Counter()
    missed_open: Counter[str] = Counter()  # breached open clocks of tickets created in the window

    def counted(states: Iterator[TicketState]) -> Iterator[TicketState]:
        # Attainment counts clocks (a ticket late on both counts twice, as in period_metrics), so this
        # taps the stream before the per-ticket collapse.
        for state in states:
            if state.state == BREACHED:
                missed_open[state.tier] += 1
            yield state

    # One pass over the open tickets, in two parts so that the window's are known without a lookup.
    conditions = stream_conditions(policy, now, at_risk_share, tiers)
    older = iter_states(session, policy, now, at_risk_share, [*conditions, Ticket.created_at < start])
    recent = iter_states(session, policy, now, at_risk_share, [*conditions, Ticket.created_at >= start])
    for state in worst_per_ticket(chain(older, counted(recent))):
        if state.state == BREACHED:
            breached[state.tier] += 1
        elif state.state == AT_RISK:
            at_risk[state.tier] += 1
        else:
            continue
        key = stake_key(state)
        make = partial(item_from_state, state)
        top.push(key, make)
        if state.state == BREACHED and state.tier == top_tier:
            top_breaches.push(key, make)

    attainment: dict[str, float | None] = {}
    for tier in covered:
        met, total = decided.get(tier, (0, 0))
        total += missed_open.get(tier, 0)
        attainment[tier] = met / total * 100 if total else None

    breached_by_tier = {t: breached.get(t, 0) for t in covered}
    at_risk_by_tier = {t: at_risk.get(t, 0) for t in covered}
    return Digest(
        generated_at=now,
        tiers=covered,
        items=top.ranked(),
        more_count=top.dropped,
        breached_total=sum(breached.values()),
        at_risk_total=sum(at_risk.values()),
        attainment=attainment,
        movement=movement(covered, breached_by_tier, at_risk_by_tier, attainment, previous),
        enterprise_breaches=top_breaches.ranked(),
        enterprise_tier=top_tier,
        enterprise_more=top_breaches.dropped,
        window_days=window_days,
        breached_by_tier=breached_by_tier,
        at_risk_by_tier=at_risk_by_tier,
        show_command=show_command(tiers, [t.key for t in policy.tiers]),
    )


_JUST_UNDER_TARGET = 1e-6  # as a share of the target left


def full_breach_list(
    session: Session,
    policy: Policy,
    now: datetime,
    tiers: set[str] | None = None,
    at_risk_share: float = 0.25,
    breached_since: datetime | None = None,
) -> Iterator[DigestItem]:
    """Every breached or at-risk ticket, ranked as in the digest (for `tierbot digest show`).

    `breached_since`: only tickets breached at or before that instant (re-posts of old breaches). The
    stream then skips every ticket whose clocks cannot have reached their targets by then (scope.py's
    bound with no share left): the few long-overdue tickets are read, not every one at risk now.
    """
    if breached_since is None:
        conditions = stream_conditions(policy, now, at_risk_share, tiers)
    else:
        # Pruned at a hair under the full target, so that a clock that reached it exactly by then is
        # kept: a business-hours deadline at closing time, with `breached_since` in the night.
        conditions = stream_conditions(policy, breached_since, _JUST_UNDER_TARGET, tiers)
    items = rank_all(iter_states(session, policy, now, at_risk_share, conditions))
    if breached_since is not None:
        items = [i for i in items if i.state == BREACHED and i.due_at <= breached_since]
    return iter(items)
