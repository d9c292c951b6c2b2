"""The front door of tier-change alerts: what moved, from which tier to which, and what made the difference.

Whatever moved a tier (a sync, an import, a policy change, an override) left a tier history entry
with the inputs that changed (`bot.accounts.delta`); alerts are read from there, per account, in
quiet windows of TIER_CHANGE_QUIET_HOURS:

- An account's first move is reported at the next job tick.
- That report opens the account's quiet window: moves in the next TIER_CHANGE_QUIET_HOURS are held.
- A move an admin made (an override set or cleared: cause `override` / `override-cleared`) is not
  held: it is reported at the next tick with the moves held before it, and opens a new window. An
  override set from an alert's own *Set override* button would otherwise wait out the window that
  alert opened.
- When the window ends, the held moves are reported once, as the net change against the tier last
  reported (its deltas netted too: ACV $24,000 → $31,000 → $26,500 reads "$24,000 → $26,500"). That
  report opens the next window. An account that came back to the tier last reported gets no post:
  the channel already reads the right tier. A net change back to the tier the last report said it
  left is written as "back to X" (the channel read "moved from X"; now it reads that this is undone).
- Each report's delivery-ledger key is (job, channel:account, window start): the held window's end
  for a report of held moves, the first admin move's time for one reported early, else the first
  unreported move's time. Both come from stored data, so
  a restart or a second scheduler computes the same key and the ledger posts it once; the report's
  state row is written in the same transaction as the ledger claim.

Moves older than twice the look-back (TIER_CHANGE_QUIET_HOURS, at least 24 h) are never reported:
a first deploy does not post the whole history, and a scheduler stopped for days reports what is recent.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from bot.accounts.delta import Delta, deltas_of, net
from bot.policy.model import Policy
from storage.models import Account, TierChange
from storage.models.tierchanges import TierChangeReport

MIN_LOOKBACK = timedelta(hours=24)
DELIBERATE = frozenset({"override", "override-cleared"})  # causes reported at once, quiet window or not


@dataclass(frozen=True, slots=True)
class TierChangeAlert:
    account_id: int
    name: str
    from_tier: str  # a tier key: the tier last reported (or before the first move)
    to_tier: str
    from_name: str
    to_name: str
    reason: str  # the last move's applied rules, as the history recorded them (old rows: all we have)
    cause: str  # the last move's: sync | import | policy | override | override-cleared
    at: datetime  # the last move in the report
    period: str  # the window start, ISO: the ledger key's period
    deltas: tuple[Delta, ...] = ()  # what made the difference, netted over the moves reported
    moves: int = 1  # history entries netted into this report
    back: bool = False  # back to the tier the previous report said it moved away from
    last_change_id: int = 0


def lookback(quiet_hours: int) -> timedelta:
    return max(timedelta(hours=quiet_hours), MIN_LOOKBACK)


def due_reports(session: Session, policy: Policy, now: datetime, quiet_hours: int) -> list[TierChangeAlert]:
    """The reports due at `now`, oldest move first. Accounts whose held moves came back to the tier
    last reported are settled here (in the caller's transaction): nothing to post, window closed."""
    window = lookback(quiet_hours)
    r = TierChangeReport
    rows = session.execute(
        select(
            TierChange.id, TierChange.account_id, TierChange.from_tier, TierChange.to_tier,
            TierChange.detail, TierChange.delta, TierChange.cause, TierChange.at, Account.name,
            r.reported_tier, r.moved_from, r.quiet_until,
        )
        .join(Account, Account.id == TierChange.account_id)
        .outerjoin(r, r.account_id == TierChange.account_id)
        .where(
            TierChange.at <= now,
            TierChange.at >= now - 2 * window,
            or_(
                and_(r.account_id.is_(None), TierChange.at >= now - window, TierChange.from_tier.is_not(None)),
                TierChange.id > r.last_change_id,
            ),
        )
        .order_by(TierChange.account_id, TierChange.id)
    ).all()  # fmt: skip
    alerts: list[TierChangeAlert] = []
    start = 0
    while start < len(rows):
        end = start
        while end < len(rows) and rows[end].account_id == rows[start].account_id:
            end += 1
        alert = _report(session, policy, now, rows[start:end])
        if alert is not None:
            alerts.append(alert)
        start = end
    return sorted(alerts, key=lambda a: (a.at, a.account_id))


def _report(session: Session, policy: Policy, now: datetime, group: Sequence[Any]) -> TierChangeAlert | None:
    first, last = group[0], group[-1]
    if last.reported_tier is None:
        baseline, period = first.from_tier, first.at
        if baseline is None:
            return None  # only a creation (cannot happen: the query leaves those out)
    elif last.quiet_until <= now:
        baseline, period = last.reported_tier, max(last.quiet_until, first.at)
    else:
        deliberate = next((row for row in group if row.cause in DELIBERATE), None)
        if deliberate is None:
            return None  # held: reported when the window ends
        baseline, period = last.reported_tier, deliberate.at
    if last.to_tier == baseline:
        # Nothing to say (the window ended, or an admin put the tier back): these moves are accounted
        # for; an open window stays open.
        if last.reported_tier is not None:
            row = session.get(TierChangeReport, last.account_id)
            if row is not None:
                row.last_change_id = last.id
        return None
    return TierChangeAlert(
        account_id=last.account_id,
        name=last.name,
        from_tier=baseline,
        to_tier=last.to_tier,
        from_name=policy.tier_name(baseline),
        to_name=policy.tier_name(last.to_tier),
        reason=last.detail or "",
        cause=last.cause,
        at=last.at,
        period=period.isoformat(),
        deltas=net(policy, [deltas_of(row.delta) for row in group], baseline, last.to_tier),
        moves=len(group),
        back=last.moved_from is not None and last.moved_from == last.to_tier,
        last_change_id=last.id,
    )


def mark_reported(session: Session, alert: TierChangeAlert, now: datetime, quiet_hours: int) -> None:
    """Record the report in the caller's transaction (the one holding its ledger claim): the channel
    now reads `to_tier`, and moves in the next `quiet_hours` are held."""
    row = session.get(TierChangeReport, alert.account_id)
    quiet_until = now + timedelta(hours=quiet_hours)
    if row is None:
        session.add(
            TierChangeReport(
                account_id=alert.account_id,
                reported_tier=alert.to_tier,
                moved_from=alert.from_tier,
                reported_at=now,
                quiet_until=quiet_until,
                last_change_id=alert.last_change_id,
            )
        )
        return
    row.reported_tier, row.moved_from, row.reported_at = alert.to_tier, alert.from_tier, now
    row.quiet_until, row.last_change_id = quiet_until, alert.last_change_id
