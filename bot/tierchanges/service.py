"""The front door of tier-change alerts: what moved, from which tier to which, and why.

Whatever moved a tier (a sync, an import, a policy change, an override) left a tier history entry;
alerts are read from there. Changes are netted per account over quiet periods of
TIER_CHANGE_QUIET_HOURS counted from the epoch: an account that crossed back and forth within a
period is reported once with the net change (nothing, when it came back), and each (account,
period) is one delivery-ledger key, so a report is posted exactly once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.policy.model import Policy
from storage.models import Account, TierChange

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class TierChangeAlert:
    account_id: int
    name: str
    from_tier: str  # a tier key; names for display come from the policy
    to_tier: str
    from_name: str
    to_name: str
    reason: str  # the rules that decided the new tier, as the history recorded them
    cause: str  # sync | import | policy | override | override-cleared
    at: datetime  # the last change in the period
    period: str  # the quiet period's start, ISO: the ledger key's period


def period_start(now: datetime, quiet_hours: int) -> datetime:
    if quiet_hours <= 0:
        return now
    length = timedelta(hours=quiet_hours)
    return EPOCH + ((now - EPOCH) // length) * length


def tier_change_alerts(
    session: Session, policy: Policy, now: datetime, quiet_hours: int
) -> list[TierChangeAlert]:
    """Net tier changes per account in the current quiet period, oldest first. New accounts (no
    previous tier) are not moves."""
    start = period_start(now, quiet_hours)
    rows = session.execute(
        select(
            TierChange.account_id,
            TierChange.from_tier,
            TierChange.to_tier,
            TierChange.detail,
            TierChange.cause,
            TierChange.at,
            Account.name,
        )
        .join(Account, Account.id == TierChange.account_id)
        .where(TierChange.at >= start, TierChange.at <= now, TierChange.from_tier.is_not(None))
        .order_by(TierChange.account_id, TierChange.at, TierChange.id)
    )
    first: dict[int, str] = {}
    last: dict[int, tuple[str, str, str, datetime, str]] = {}
    for account_id, from_tier, to_tier, detail, cause, at, name in rows:
        first.setdefault(account_id, from_tier or "")
        last[account_id] = (to_tier, detail, cause, at, name)
    alerts = []
    for account_id, (to_tier, detail, cause, at, name) in last.items():
        from_tier = first[account_id]
        if from_tier == to_tier:
            continue  # crossed and came back within the period
        alerts.append(
            TierChangeAlert(
                account_id,
                name,
                from_tier,
                to_tier,
                _name(policy, from_tier),
                _name(policy, to_tier),
                detail,
                cause,
                at,
                start.isoformat(),
            )
        )
    return sorted(alerts, key=lambda a: (a.at, a.account_id))


def _name(policy: Policy, key: str) -> str:
    try:
        return policy.tier(key).name
    except KeyError:
        return key
