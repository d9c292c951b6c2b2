"""Assigning tiers: evaluate the policy for an account and keep a history entry for every change."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import ColumnElement, ScalarSelect, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from bot.accounts.delta import Change, Delta, RuleBasis, deltas_json, explain
from bot.policy.evaluate import AccountFacts, Override, TierResult, evaluate
from bot.policy.model import Policy
from storage.models import Account, TierChange, TierOverride, TierRuleBasis

BASIS = "tiers"  # the one row of tier_rule_basis


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
    delta: tuple[Delta, ...] = (),
) -> TierChange | None:
    """Store the evaluated tier on the account; a history entry is written only when it moves.
    `delta`: the changed inputs that explain the move (`bot.accounts.delta.explain`)."""
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
        delta=deltas_json(delta),
    )
    session.add(change)
    return change


def load_basis(session: Session) -> RuleBasis | None:
    """The tier rules last applied by `recompute` (None before its first run)."""
    return RuleBasis.from_json(session.scalar(select(TierRuleBasis.rules).where(TierRuleBasis.name == BASIS)))


def save_basis(session: Session, policy: Policy, now: datetime) -> None:
    basis = RuleBasis.of(policy)
    row = session.get(TierRuleBasis, BASIS)
    if row is None:
        session.add(TierRuleBasis(name=BASIS, rules=basis.to_json(), updated_at=now))
    elif RuleBasis.from_json(row.rules) != basis:
        row.rules, row.updated_at = basis.to_json(), now


def _expired_override(session: Session, account_id: int, now: datetime) -> Override | None:
    """The account's newest uncleared override when it has run out (what an expiry move undoes)."""
    row = session.scalars(
        select(TierOverride).where(TierOverride.id == newest_override_id(account_id))
    ).first()
    if row is None or row.expires_at is None or row.expires_at > now:
        return None
    return as_override(row)


def recompute(
    session: Session,
    policy: Policy,
    now: datetime,
    actor: str = "tierbot",
    accounts: Iterable[Account] | None = None,
) -> list[TierChange]:
    """Re-evaluate accounts after a policy change or an override expiry; returns the changes made.

    Each move is explained against the rules applied last time (`load_basis`), which are then
    replaced by this policy's."""
    changes = []
    basis = load_basis(session)
    rows = accounts if accounts is not None else session.scalars(select(Account)).all()
    for account in rows:
        result = tier_of(session, policy, account, now)
        if result.tier == account.tier:
            continue
        cause = "policy" if result.override is None else "override"
        facts = facts_of(account)
        expired = _expired_override(session, account.id, now) if result.override is None else None
        if expired is not None and expired.tier != account.tier:
            expired = None  # it ran out long ago; this move is the policy's
        delta = explain(
            policy, old_tier=account.tier, new_tier=result.tier, old_facts=facts, new_facts=facts,
            old_basis=basis, old_override=expired, new_override=result.override,
            override_ended=Change.OVERRIDE_EXPIRED,
        )  # fmt: skip
        change = record_tier(session, account, result, cause=cause, actor=actor, now=now, delta=delta)
        if change is not None:
            changes.append(change)
    if accounts is None:
        save_basis(session, policy, now)
    return changes
