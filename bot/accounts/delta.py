"""What made the difference when a tier moved: the inputs that changed, as structured data.

A tier comes from the account's facts (ACV, strategic flag, usage criticality), the policy's rules
(tier thresholds, the strategic lift, criticality floors) and an override. When a tier moves, the
history entry keeps the changes among those inputs that explain the move (`explain`), so an alert
can say "ACV $24,000 → $26,500 crossed $25,000" instead of repeating the rules that hold now. Views
turn each `Delta` into a sentence; rows written before deltas existed keep their `detail` text.

The policy's previous rules are known because `tiering.recompute` keeps the rules it last applied
(`RuleBasis`, table tier_rule_basis); syncs and imports read them too, so a move they make because
the policy changed (before the daily recompute) is explained by the policy, not by the facts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from bot.policy.evaluate import AccountFacts, Override
from bot.policy.model import Policy


class Change(StrEnum):
    """Which input changed."""

    ACV = "acv"  # old/new: amounts; threshold: the one crossed; tier: whose threshold it is
    STRATEGIC = "strategic"  # old/new: "false"/"true"; steps: tiers lifted (or no longer lifted)
    CRITICALITY = "criticality"  # old/new: levels; tier: the floor raised to (or no longer applying)
    OVERRIDE_SET = "override_set"  # tier, by, reason, until
    OVERRIDE_CLEARED = "override_cleared"  # tier (the override's), by (who cleared it), reason (its)
    OVERRIDE_EXPIRED = "override_expired"  # tier, by (who set it), reason, until (its last day)
    THRESHOLD = "threshold"  # a tier's min_acv in the policy: old/new amounts; tier
    LIFT = "lift"  # the policy's strategic_lift: old/new numbers
    FLOOR = "floor"  # a criticality floor in the policy: subject (the level), old/new tier keys or None


class Effect(StrEnum):
    RAISED = "raised"
    LOWERED = "lowered"


CENT = Decimal("0.01")


def amount_text(value: Decimal) -> str:
    """How a delta stores an amount: one form to the cent ("25000.00"), whether it was read from the
    database (Numeric(14, 2): "10000.00"), a file ("26500") or the policy ("25000")."""
    return str(value.quantize(CENT))


def _amount(text: str | None) -> Decimal | None:
    try:
        return Decimal(text) if text is not None else None
    except InvalidOperation:
        return None


@dataclass(frozen=True, slots=True)
class Delta:
    change: Change
    old: str | None = None
    new: str | None = None
    effect: Effect | None = None  # which way the tier moved
    threshold: str | None = None  # an amount (`amount_text`; older rows: any Decimal text)
    tier: str | None = None  # a tier key ...
    tier_name: str | None = None  # ... and its name when the change was recorded
    old_name: str | None = None  # FLOOR: the old floor's tier name
    new_name: str | None = None  # FLOOR: the new floor's tier name
    steps: int | None = None
    subject: str | None = None
    by: str | None = None
    reason: str | None = None
    until: str | None = None  # ISO date: an override's last day

    def to_json(self) -> dict[str, Any]:
        return {
            k: (str(v) if isinstance(v, StrEnum) else v) for k, v in asdict(self).items() if v is not None
        }

    @classmethod
    def from_json(cls, data: object) -> Delta | None:
        """None for anything that is not a delta this version understands (a newer writer's kind)."""
        if not isinstance(data, dict):
            return None
        try:
            change = Change(data["change"])
            effect = Effect(data["effect"]) if data.get("effect") else None
        except (KeyError, ValueError):
            return None
        text = {
            k: (str(data[k]) if data.get(k) is not None else None)
            for k in ("old", "new", "threshold", "tier", "tier_name", "old_name", "new_name", "subject",
                      "by", "reason", "until")
        }  # fmt: skip
        steps = data.get("steps")
        return cls(change, effect=effect, steps=steps if isinstance(steps, int) else None, **text)


def deltas_json(deltas: tuple[Delta, ...] | list[Delta]) -> list[dict[str, Any]] | None:
    """What the tier_history.delta column stores: None when nothing was explained."""
    return [d.to_json() for d in deltas] or None


def deltas_of(data: object) -> tuple[Delta, ...]:
    if not isinstance(data, list):
        return ()
    return tuple(d for d in (Delta.from_json(item) for item in data) if d is not None)


@dataclass(frozen=True, slots=True)
class RuleBasis:
    """The parts of a policy that decide tiers: what a policy change is compared against."""

    thresholds: tuple[tuple[str, str, Decimal], ...]  # (key, name, min_acv), highest tier first
    lift: int
    floors: tuple[tuple[str, str], ...]  # (criticality, tier key)

    @classmethod
    def of(cls, policy: Policy) -> RuleBasis:
        return cls(
            tuple((t.key, t.name, t.min_acv) for t in policy.tiers),
            policy.rules.strategic_lift,
            tuple(sorted(policy.rules.criticality_floor.items())),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "thresholds": [[k, n, str(v)] for k, n, v in self.thresholds],
            "lift": self.lift,
            "floors": [list(f) for f in self.floors],
        }

    @classmethod
    def from_json(cls, data: object) -> RuleBasis | None:
        if not isinstance(data, dict):
            return None
        try:
            thresholds = tuple((str(k), str(n), Decimal(str(v))) for k, n, v in data["thresholds"])
            floors = tuple((str(c), str(t)) for c, t in data["floors"])
            return cls(thresholds, int(data["lift"]), floors)
        except (KeyError, TypeError, ValueError, InvalidOperation):
            return None


def _rank(policy: Policy, key: str | None) -> int:
    if key is None:
        return -1
    try:
        return policy.rank(key)
    except KeyError:
        return -1


def _acv_delta(policy: Policy, old: Decimal, new: Decimal, effect: Effect) -> Delta | None:
    """The threshold the ACV crossed: going up, the highest one reached; going down, the lowest one
    left (the threshold of the tier just above where the ACV landed). None when it crossed none, or
    moved against the tier (`effect`)."""
    if old == new:
        return None
    crossed = [t for t in policy.tiers if t.min_acv > 0 and min(old, new) < t.min_acv <= max(old, new)]
    if not crossed:
        return None
    tier = crossed[0] if new > old else crossed[-1]
    moved = Effect.RAISED if new > old else Effect.LOWERED
    if moved is not effect:
        return None  # the ACV moved against the tier: something else made the difference
    return Delta(
        Change.ACV, amount_text(old), amount_text(new), effect, amount_text(tier.min_acv), tier.key, tier.name
    )


def _lift_steps(policy: Policy, acv: Decimal, lift: int) -> int:
    ranks = [len(policy.tiers) - 1 - i for i, t in enumerate(policy.tiers) if acv >= t.min_acv]
    rank = ranks[0] if ranks else 0
    return min(len(policy.tiers) - 1, rank + lift) - rank


def explain(
    policy: Policy,
    *,
    old_tier: str | None,
    new_tier: str,
    old_facts: AccountFacts | None,
    new_facts: AccountFacts,
    old_basis: RuleBasis | None = None,
    old_override: Override | None = None,
    new_override: Override | None = None,
    override_ended: Change | None = None,
    actor: str = "",
) -> tuple[Delta, ...]:
    """The changed inputs that explain a move from `old_tier` to `new_tier` (empty: none known).

    `override_ended` (OVERRIDE_CLEARED or OVERRIDE_EXPIRED) says how `old_override` went away;
    `actor` is who cleared it."""
    if old_tier is None:
        return ()  # a new account: nothing moved
    effect = Effect.RAISED if _rank(policy, new_tier) > _rank(policy, old_tier) else Effect.LOWERED
    if new_override is not None and new_override != old_override:
        until = new_override.last_day.isoformat() if new_override.last_day else None
        return (
            Delta(
                Change.OVERRIDE_SET, old_tier, new_override.tier, effect, tier=new_override.tier,
                tier_name=policy.tier_name(new_override.tier), by=new_override.set_by,
                reason=new_override.reason, until=until,
            ),
        )  # fmt: skip
    if old_override is not None and new_override is None:
        ended = override_ended or Change.OVERRIDE_CLEARED
        until = old_override.last_day.isoformat() if old_override.last_day else None
        by = actor if ended is Change.OVERRIDE_CLEARED else old_override.set_by
        return (
            Delta(
                ended, old_override.tier, new_tier, effect, tier=old_override.tier,
                tier_name=policy.tier_name(old_override.tier), by=by, reason=old_override.reason, until=until,
            ),
        )  # fmt: skip
    out: list[Delta] = []
    out.extend(_policy_deltas(policy, old_basis, new_facts, effect))
    if old_facts is not None:
        out.extend(_fact_deltas(policy, old_facts, new_facts, effect))
    return tuple(out)


def _fact_deltas(policy: Policy, old: AccountFacts, new: AccountFacts, effect: Effect) -> list[Delta]:
    found = (
        _acv_delta(policy, old.acv, new.acv, effect),
        _strategic_delta(policy, old.strategic, new.strategic, new.acv, effect),
        _criticality_delta(policy, old.usage_criticality, new.usage_criticality),
    )
    return [d for d in found if d is not None]


def _strategic_delta(policy: Policy, old: bool, new: bool, acv: Decimal | None, effect: Effect, steps: int | None = None) -> Delta | None:  # fmt: skip
    """The strategic flag set (lifted) or cleared (no longer lifted) at `acv`; without an ACV,
    `steps` as recorded. None when it lifts nothing there (the top tier, a lift of 0)."""
    lift = policy.rules.strategic_lift
    if old == new or not lift:
        return None
    if acv is not None:
        steps = _lift_steps(policy, acv, lift)
    if not steps:
        return None
    return Delta(Change.STRATEGIC, str(old).lower(), str(new).lower(), effect, steps=steps)


def _criticality_delta(policy: Policy, old: str, new: str) -> Delta | None:
    """The floor a change of usage criticality raised the tier to, or the floor that no longer applies."""
    if old == new:
        return None
    floors: dict[str, str] = {str(level): key for level, key in policy.rules.criticality_floor.items()}
    before, after = floors.get(old), floors.get(new)
    if before == after:
        return None
    floor = after if _rank(policy, after) > _rank(policy, before) else before
    raised = Effect.RAISED if floor == after else Effect.LOWERED
    return Delta(
        Change.CRITICALITY, old, new, raised, tier=floor, tier_name=policy.tier_name(floor) if floor else None
    )


def _policy_deltas(policy: Policy, old: RuleBasis | None, facts: AccountFacts, effect: Effect) -> list[Delta]:
    now = RuleBasis.of(policy)
    if old is None or old == now:
        return []
    out: list[Delta] = []
    before = {key: acv for key, _, acv in old.thresholds}
    for key, name, acv in now.thresholds:
        was = before.get(key)
        # Only a threshold the account's ACV sits between (old and new) changed its tier.
        if was is not None and was != acv and (facts.acv >= was) != (facts.acv >= acv):
            out.append(
                Delta(Change.THRESHOLD, amount_text(was), amount_text(acv), effect, tier=key, tier_name=name)
            )
    if old.lift != now.lift and facts.strategic:
        out.append(Delta(Change.LIFT, str(old.lift), str(now.lift), effect))
    was_floor = dict(old.floors).get(facts.usage_criticality)
    floor = dict(now.floors).get(facts.usage_criticality)
    if was_floor != floor:
        out.append(
            Delta(Change.FLOOR, was_floor, floor, effect, subject=facts.usage_criticality,
                  old_name=policy.tier_name(was_floor) if was_floor else None,
                  new_name=policy.tier_name(floor) if floor else None)
        )  # fmt: skip
    return out


def net(
    policy: Policy, deltas: Sequence[tuple[Delta, ...]], old_tier: str, new_tier: str
) -> tuple[Delta, ...]:
    """Several moves reported as one (a quiet window), from `old_tier` to `new_tier`: per input, its
    first old value and its last new one, explained again as one move in the overall direction by
    the functions that explain a single move (the threshold the ACV crossed between those two
    amounts, the lift at the last ACV, the floor between the two levels). An input that came back
    where it was, or that moved against the tier, is dropped. Overrides are events, not values: the
    last one of each kind is kept.

    ACV 10,000 -> 26,500 -> 24,000, then the strategic flag set: net, the ACV rose and crossed
    nothing, so only "strategic flag set" is said (not "ACV $10,000 -> $24,000 fell below $25,000")."""
    effect = Effect.RAISED if _rank(policy, new_tier) > _rank(policy, old_tier) else Effect.LOWERED
    firsts: dict[tuple[Change, str | None], Delta] = {}
    lasts: dict[tuple[Change, str | None], Delta] = {}
    for group in deltas:
        for d in group:
            key = (
                d.change,
                d.subject if d.change is Change.FLOOR else d.tier if d.change is Change.THRESHOLD else None,
            )
            firsts.setdefault(key, d)
            lasts[key] = d
    acvs = [d for d in lasts.values() if d.change is Change.ACV]
    last_acv = _amount(acvs[0].new) if acvs else None
    out: list[Delta] = []
    for key, first in firsts.items():
        found = _net_one(policy, first, lasts[key], effect, last_acv)
        if found is not None:
            out.append(found)
    return tuple(out)


def _net_one(policy: Policy, first: Delta, last: Delta, effect: Effect, acv: Decimal | None) -> Delta | None:
    match last.change:
        case Change.OVERRIDE_SET | Change.OVERRIDE_CLEARED | Change.OVERRIDE_EXPIRED:
            return last
        case Change.ACV:
            old, new = _amount(first.old), _amount(last.new)
            return _acv_delta(policy, old, new, effect) if old is not None and new is not None else None
        case Change.STRATEGIC:
            d = _strategic_delta(policy, first.old == "true", last.new == "true", acv, effect, last.steps)
            return d if d is not None and (d.new == "true") is (effect is Effect.RAISED) else None
        case Change.CRITICALITY:
            d = _criticality_delta(policy, first.old or "", last.new or "")
            return d if d is not None and d.effect is effect else None
        case Change.THRESHOLD:
            was, now = _amount(first.old), _amount(last.new)
            if was is None or now is None or was == now:
                return None
            return replace(last, old=amount_text(was), new=amount_text(now), effect=effect)
        case Change.LIFT:
            return None if first.old == last.new else replace(last, old=first.old, effect=effect)
        case Change.FLOOR:
            if first.old == last.new:
                return None
            return replace(last, old=first.old, old_name=first.old_name, effect=effect)
    return None  # pragma: no cover  (every Change is matched above)
