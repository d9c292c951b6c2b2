"""Parsing and validating a policy variant (`enterprise=30000 strategic-lift=0 days=90`) and a sweep
(`enterprise=15000..50000 step 2500 budget=400000`); refusals are typed, with a message a person can act on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from itertools import pairwise

from bot.policy.model import Policy, Rules, Tier

DEFAULT_DAYS = 90
MAX_STEPS = 50
MAX_DAYS = 3660  # ten years: beyond that "days" is a typo, whatever the data hold
_AMOUNT = re.compile(r"^\$?\s*([0-9][0-9,_]*(?:\.[0-9]+)?)\s*([km]?)$", re.IGNORECASE)


class RefusalKind(StrEnum):
    SYNTAX = "syntax"
    UNKNOWN_TIER = "unknown_tier"
    ORDER = "order"
    LOWEST_TIER = "lowest_tier"
    LIFT = "strategic_lift"
    FLOOR = "critical_floor"
    DAYS = "days"
    RANGE = "range"
    BUDGET = "budget"


@dataclass(frozen=True)
class Refused:
    reason: RefusalKind
    message: str


@dataclass(frozen=True)
class Variant:
    """What differs from the policy; None/empty means "as today"."""

    thresholds: tuple[tuple[str, Decimal], ...] = ()  # (tier key, min_acv), highest tier first
    strategic_lift: int | None = None
    critical_floor: str | None = None  # tier key
    days: int = DEFAULT_DAYS

    def with_threshold(self, tier: str, value: Decimal) -> Variant:
        rest = tuple((k, v) for k, v in self.thresholds if k != tier)
        return Variant(((tier, value), *rest), self.strategic_lift, self.critical_floor, self.days)

    def describe(self) -> str:
        """The variant as the command that asks for it (`enterprise=30000 days=90`)."""
        parts = [f"{k}={v.normalize():f}" for k, v in self.thresholds]
        if self.strategic_lift is not None:
            parts.append(f"strategic-lift={self.strategic_lift}")
        if self.critical_floor is not None:
            parts.append(f"critical-floor={self.critical_floor}")
        parts.append(f"days={self.days}")
        return " ".join(parts)


@dataclass(frozen=True)
class SweepSpec:
    base: Variant  # every other setting of the sweep
    tier: str  # whose threshold varies
    values: tuple[Decimal, ...]
    budget: Decimal | None = None


def parse_amount(text: str) -> Decimal | None:
    m = _AMOUNT.match(text.strip())
    if not m:
        return None
    try:
        value = Decimal(m[1].replace(",", "").replace("_", ""))
    except InvalidOperation:
        return None
    return value * {"": 1, "k": 1000, "m": 1_000_000}[m[2].lower()]


def _tokens(text: str) -> list[tuple[str, str]]:
    """`a=1 step 2500 b = 3` -> [(a, 1), (step, 2500), (b, 3)]."""
    words = text.replace(" = ", "=").replace("= ", "=").replace(" =", "=").split()
    pairs: list[tuple[str, str]] = []
    i = 0
    while i < len(words):
        word = words[i]
        if "=" in word:
            key, _, value = word.partition("=")
            pairs.append((key.casefold(), value))
        elif word.casefold() == "step" and i + 1 < len(words):
            pairs.append(("step", words[i + 1]))
            i += 1
        else:
            pairs.append((word.casefold(), ""))
        i += 1
    return pairs


def _tier_key(policy: Policy, name: str) -> str | None:
    tier = policy.find_tier(name)
    return tier.key if tier is not None else None


def _known(policy: Policy) -> str:
    return ", ".join(t.key for t in policy.tiers)


def _check_thresholds(policy: Policy, changed: dict[str, Decimal]) -> Refused | None:
    lowest = policy.tiers[-1].key
    if lowest in changed and changed[lowest] != 0:
        return Refused(RefusalKind.LOWEST_TIER, f"{lowest} is the lowest tier: its threshold stays 0.")
    values = [(t.key, changed.get(t.key, t.min_acv)) for t in policy.tiers]
    for (hi_key, hi), (lo_key, lo) in pairwise(values):
        if hi <= lo:
            return Refused(
                RefusalKind.ORDER,
                f"thresholds must fall from the top tier down: {hi_key}={hi.normalize():f} is not above "
                f"{lo_key}={lo.normalize():f}.",
            )
    return None


def _parse_setting(
    policy: Policy, key: str, value: str, settings: dict[str, object], thresholds: dict[str, Decimal]
) -> Refused | None:
    if key in ("strategic-lift", "strategic_lift"):
        if value not in ("0", "1"):
            return Refused(RefusalKind.LIFT, f"strategic-lift is 0 or 1, not {value!r}.")
        settings["lift"] = int(value)
    elif key in ("critical-floor", "critical_floor"):
        tier = _tier_key(policy, value)
        if tier is None:
            return Refused(
                RefusalKind.FLOOR, f"critical-floor: unknown tier {value!r}; use {_known(policy)}."
            )
        settings["floor"] = tier
    elif key == "days":
        if not value.isdigit() or not 1 <= int(value) <= MAX_DAYS:
            return Refused(RefusalKind.DAYS, f"days is a whole number of days from 1, not {value!r}.")
        settings["days"] = int(value)
    else:
        tier = _tier_key(policy, key)
        if tier is None:
            what = f"{key}={value}" if value else key
            return Refused(
                RefusalKind.UNKNOWN_TIER,
                f"{what!r}: not a tier or a setting; use {_known(policy)}, strategic-lift, critical-floor, days.",
            )
        amount = parse_amount(value)
        if amount is None:
            return Refused(RefusalKind.SYNTAX, f"{key}: {value!r} is not an amount like 30000 or 30k.")
        thresholds[tier] = amount
    return None


def _variant(policy: Policy, settings: dict[str, object], thresholds: dict[str, Decimal]) -> Variant:
    ordered = tuple((t.key, thresholds[t.key]) for t in policy.tiers if t.key in thresholds)
    lift = settings.get("lift")
    floor = settings.get("floor")
    days = settings.get("days", DEFAULT_DAYS)
    assert isinstance(days, int)
    return Variant(
        ordered,
        lift if isinstance(lift, int) else None,
        floor if isinstance(floor, str) else None,
        days,
    )


def parse_variant(policy: Policy, text: str) -> Variant | Refused:
    settings: dict[str, object] = {}
    thresholds: dict[str, Decimal] = {}
    for key, value in _tokens(text):
        refused = _parse_setting(policy, key, value, settings, thresholds)
        if refused is not None:
            return refused
    refused = _check_thresholds(policy, thresholds)
    return refused if refused is not None else _variant(policy, settings, thresholds)


def parse_sweep(policy: Policy, text: str) -> SweepSpec | Refused:
    settings: dict[str, object] = {}
    thresholds: dict[str, Decimal] = {}
    swept: tuple[str, Decimal, Decimal] | None = None
    step: Decimal | None = None
    budget: Decimal | None = None
    for key, value in _tokens(text):
        if key == "step":
            step = parse_amount(value)
            if step is None or step <= 0:
                return Refused(RefusalKind.RANGE, f"step: {value!r} is not a positive amount.")
        elif key == "budget":
            budget = parse_amount(value)
            if budget is None:
                return Refused(RefusalKind.BUDGET, f"budget: {value!r} is not an amount like 400000 or 400k.")
        elif ".." in value:
            tier = _tier_key(policy, key)
            low, high = (parse_amount(v) for v in value.split("..", 1))
            if tier is None:
                return Refused(RefusalKind.UNKNOWN_TIER, f"{key!r}: unknown tier; use {_known(policy)}.")
            if low is None or high is None or low >= high:
                return Refused(RefusalKind.RANGE, f"{key}: {value!r} is not a range like 15000..50000.")
            if swept is not None:
                return Refused(RefusalKind.RANGE, "a sweep varies one threshold; give one range.")
            swept = (tier, low, high)
        else:
            refused = _parse_setting(policy, key, value, settings, thresholds)
            if refused is not None:
                return refused
    if swept is None:
        return Refused(
            RefusalKind.RANGE, "give the threshold to vary as a range: enterprise=15000..50000 step 2500."
        )
    tier, low, high = swept
    if tier == policy.tiers[-1].key:
        return Refused(RefusalKind.LOWEST_TIER, f"{tier} is the lowest tier: its threshold stays 0.")
    if step is None:
        return Refused(RefusalKind.RANGE, "give a step: enterprise=15000..50000 step 2500.")
    count = int((high - low) / step) + 1
    if count > MAX_STEPS:
        return Refused(
            RefusalKind.RANGE,
            f"{count} steps; a sweep has at most {MAX_STEPS}: widen the step or narrow the range.",
        )
    values = tuple(low + step * i for i in range(count))
    for amount in values:
        refused = _check_thresholds(policy, {**thresholds, tier: amount})
        if refused is not None:
            return Refused(
                RefusalKind.ORDER, f"the range crosses a neighbouring threshold: {refused.message}"
            )
    base = _variant(policy, settings, thresholds)
    return SweepSpec(base, tier, values, budget)


def apply(policy: Policy, variant: Variant) -> Policy:
    """The policy with the variant's thresholds and rules (validated above, so no re-validation)."""
    changed = dict(variant.thresholds)
    tiers: tuple[Tier, ...] = tuple(
        t.model_copy(update={"min_acv": changed[t.key]}) if t.key in changed else t for t in policy.tiers
    )
    rules_update: dict[str, object] = {}
    if variant.strategic_lift is not None:
        rules_update["strategic_lift"] = variant.strategic_lift
    if variant.critical_floor is not None:
        rules_update["criticality_floor"] = {
            **policy.rules.criticality_floor,
            "critical": variant.critical_floor,
        }
    rules: Rules = policy.rules.model_copy(update=rules_update) if rules_update else policy.rules
    return policy.model_copy(update={"tiers": tiers, "rules": rules})
