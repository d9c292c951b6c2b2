"""Assigning tiers: evaluate the policy for an account and keep a history entry for every change."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import ColumnElement, ScalarSelect, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from bot.policy.evaluate import AccountFacts, Override, TierResult, evaluate
from bot.policy.model import Policy
from storage.models import Account, TierChange, TierOverride


def facts_of(account: Account) -> AccountFacts:
    return AccountFacts(
        acv=account.acv, usage_criticality=account.usage_criticality, strategic=account.strategic
    )


def newest_override_id(
    account_id: ColumnElement[int] | InstrumentedAttribute[int] | int,
) -> ScalarSelect[int]:
    """Which override counts for an account: its newest uncleared one. The one definition, used by
    the ORM path below, by the card's Core statement (`cards.card_statement`, correlated to
    `Account.id`) and by the importer for every account at once. When that override has expired,
    none counts: an older one never comes back."""
    return (
        select(TierOverride.id)
        .where(TierOverride.account_id == account_id, TierOverride.cleared_at.is_(None))
        .order_by(TierOverride.created_at.desc(), TierOverride.id.desc())
        .limit(1)
        # Correlated to whatever names the account outside (accounts, an alias of tier_overrides),
        # never to a plain tier_overrides outside: `active_override` selects from that table itself.
        .correlate_except(TierOverride)
        .scalar_subquery()
    )


def active_override(session: Session, account_id: int, now: datetime) -> TierOverride | None:
    row = session.scalars(
        select(TierOverride).where(TierOverride.id == newest_override_id(account_id))
    ).first()
    if row is None or (row.expires_at is not None and row.expires_at <= now):
        return None
    return row


def as_override(row: TierOverride | None) -> Override | None:
    if row is None:
        return None
    return Override(tier=row.tier, reason=row.reason, set_by=row.set_by, expires_at=row.expires_at)


def tier_of(session: Session, policy: Policy, account: Account, now: datetime) -> TierResult:
    override = as_override(active_override(session, account.id, now)) if account.id is not None else None
    return evaluate(policy, facts_of(account), override, now)


def record_tier(
    session: Session,
    account: Account,
    result: TierResult,
    *,
    cause: str,
    actor: str,
    now: datetime,
    detail: str | None = None,
) -> TierChange | None:
    """Store the evaluated tier on the account; a history entry is written only when it moves."""
    previous = account.tier if account.id is not None else None
    if previous == result.tier:
        return None
    account.tier = result.tier
    if account.id is None:
        session.flush([account])
    change = TierChange(
        account_id=account.id,
        from_tier=previous,
        to_tier=result.tier,
        cause=cause,
        detail=detail if detail is not None else "; ".join(r.text for r in result.reasons if r.applied),
        actor=actor,
        at=now,
    )
    session.add(change)
    return change


def recompute(
    session: Session,
    policy: Policy,
    now: datetime,
    actor: str = "tierbot",
    accounts: Iterable[Account] | None = None,
) -> list[TierChange]:
    """Re-evaluate accounts after a policy change or an override expiry; returns the changes made."""
    changes = []
    rows = accounts if accounts is not None else session.scalars(select(Account)).all()
    for account in rows:
        result = tier_of(session, policy, account, now)
        cause = "policy" if result.override is None else "override"
        change = record_tier(session, account, result, cause=cause, actor=actor, now=now)
        if change is not None:
            changes.append(change)
    return changes
