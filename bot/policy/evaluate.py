"""Tier rules: which tier an account has, and every rule that decided it (auditable, in order)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from bot.policy.amounts import dollars
from bot.policy.model import Policy


@dataclass(frozen=True)
class AccountFacts:
    """What the rules read about an account; independent of storage."""

    acv: Decimal
    usage_criticality: str = "medium"
    strategic: bool = False


@dataclass(frozen=True)
class Override:
    tier: str
    reason: str
    set_by: str
    expires_at: datetime | None = None

    def active(self, now: datetime) -> bool:
        return self.expires_at is None or now < self.expires_at

    @property
    def last_day(self) -> date | None:
        """The last day it holds: it expires at the start of the day after (UTC)."""
        return (self.expires_at - timedelta(microseconds=1)).date() if self.expires_at else None


class Rule(StrEnum):
    """Which rule a reason comes from, in the order they apply."""

    ACV = "acv"
    STRATEGIC = "strategic"
    CRITICALITY = "criticality"
    OVERRIDE = "override"


@dataclass(frozen=True)
class Reason:
    rule: Rule
    text: str
    applied: bool = True  # False: the rule fired but a later one decided (e.g. an override)


@dataclass(frozen=True)
class TierResult:
    tier: str
    rule_tier: str  # what the rules alone give, before any override
    reasons: tuple[Reason, ...] = field(default_factory=tuple)
    override: Override | None = None


def tier_by_acv(policy: Policy, acv: Decimal) -> tuple[int, str]:
    """The rank of the highest tier whose threshold the ACV reaches, and why."""
    tiers = policy.tiers
    for i, tier in enumerate(tiers):
        if acv >= tier.min_acv:
            rank = len(tiers) - 1 - i
            if i == 0:
                text = f"ACV {dollars(acv)} ≥ {dollars(tier.min_acv)} → {tier.name}"
            elif tier.min_acv == 0:
                text = f"ACV {dollars(acv)} < {dollars(tiers[i - 1].min_acv)} → {tier.name}"
            else:
                text = f"ACV {dollars(acv)} in {dollars(tier.min_acv)}–{dollars(tiers[i - 1].min_acv)} → {tier.name}"
            return rank, text
    raise AssertionError("policy validation guarantees a tier with min_acv = 0")


def evaluate(
    policy: Policy, facts: AccountFacts, override: Override | None = None, now: datetime | None = None
) -> TierResult:
    top = len(policy.tiers) - 1
    rank, text = tier_by_acv(policy, facts.acv)
    reasons = [Reason(Rule.ACV, text)]

    if facts.strategic and policy.rules.strategic_lift:
        lifted = min(top, rank + policy.rules.strategic_lift)
        if lifted > rank:
            steps = "one tier" if lifted - rank == 1 else f"{lifted - rank} tiers"
            reasons.append(
                Reason(Rule.STRATEGIC, f"strategic: lifted {steps} → {policy.by_rank(lifted).name}")
            )
        else:
            reasons.append(Reason(Rule.STRATEGIC, "strategic: already at the top tier", applied=False))
        rank = lifted

    floor_key = policy.rules.criticality_floor.get(facts.usage_criticality)  # type: ignore[call-overload]
    if floor_key is not None:
        floor = policy.rank(floor_key)
        name = policy.tier(floor_key).name
        if floor > rank:
            reasons.append(
                Reason(Rule.CRITICALITY, f"usage criticality {facts.usage_criticality}: floor {name}")
            )
            rank = floor
        else:
            reasons.append(
                Reason(
                    Rule.CRITICALITY,
                    f"usage criticality {facts.usage_criticality}: floor {name} (already met)",
                    applied=False,
                )
            )

    rule_tier = policy.by_rank(rank).key
    if override is not None and (now is None or override.active(now)):
        until = f" until {override.last_day.isoformat()}" if override.last_day else ""
        name = policy.tier(override.tier).name
        reasons = [Reason(r.rule, r.text, applied=False) for r in reasons]
        reasons.append(
            Reason(Rule.OVERRIDE, f"override to {name} by {override.set_by}{until}: {override.reason}")
        )
        return TierResult(override.tier, rule_tier, tuple(reasons), override)
    return TierResult(rule_tier, rule_tier, tuple(reasons))


def review_due(expires_at: datetime | None, today: date) -> bool:
    return expires_at is not None and expires_at.date() <= today
