"""What a scheduled SLA digest contains, as plain data the Slack views render.

Counts are per ticket, not per SLA clock: a ticket whose first response and resolution are both late is
one breached ticket, listed once with its worse clock (breached before at risk, then the most overdue).
Attainment is a percentage (0-100) and its movement is in percentage points.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

SNAPSHOT_VERSION = 1


@dataclass(frozen=True)
class DigestItem:
    ticket_id: str
    account_id: int
    account_name: str
    tier: str
    acv: Decimal
    severity: str
    subject: str
    metric: str  # first_response | resolution: the ticket's worse clock
    state: str  # breached | at_risk
    minutes_left: int  # open minutes on the SLA calendar; negative when overdue
    due_at: datetime
    assignee: str | None = None
    paused: bool = False  # resolution clock stopped while waiting on the customer


@dataclass(frozen=True)
class TierMovement:
    """One tier's numbers now and their change since the previous digest (None: nothing to compare)."""

    tier: str
    breached: int
    at_risk: int
    attainment: float | None  # percent
    breached_delta: int | None = None
    at_risk_delta: int | None = None
    attainment_delta: float | None = None  # percentage points

    @property
    def worse(self) -> bool:
        """More breaches, or lower attainment, than last time: what a view would flag."""
        return bool(
            (self.breached_delta or 0) > 0
            or (self.attainment_delta is not None and self.attainment_delta < 0)
        )


@dataclass(frozen=True)
class DigestSnapshot:
    """The few numbers the next digest compares against; every field is a JSON primitive, so
    `to_dict()` (or `dataclasses.asdict`) can be stored as JSON as is."""

    generated_at: str  # ISO 8601, UTC
    breached: dict[str, int] = field(default_factory=dict)
    at_risk: dict[str, int] = field(default_factory=dict)
    attainment: dict[str, float | None] = field(default_factory=dict)
    version: int = SNAPSHOT_VERSION
    # The tickets the channel was shown (the digest's items, and the re-posts since): the only ones its
    # Acknowledge and Snooze buttons may name.
    tickets: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "generated_at": self.generated_at,
            "breached": dict(self.breached),
            "at_risk": dict(self.at_risk),
            "attainment": dict(self.attainment),
            "tickets": list(self.tickets),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DigestSnapshot:
        """Lenient: a snapshot stored by an older version (or hand-edited) gives what it can, because a
        missing movement is better than a digest that fails to post."""

        def counts(key: str) -> dict[str, int]:
            raw = data.get(key)
            return {str(k): int(v) for k, v in raw.items()} if isinstance(raw, dict) else {}

        raw_att = data.get("attainment")
        attainment = (
            {str(k): None if v is None else float(v) for k, v in raw_att.items()}
            if isinstance(raw_att, dict)
            else {}
        )
        raw_tickets = data.get("tickets")
        return cls(
            generated_at=str(data.get("generated_at", "")),
            breached=counts("breached"),
            at_risk=counts("at_risk"),
            attainment=attainment,
            version=int(data.get("version", SNAPSHOT_VERSION)),
            tickets=tuple(str(t) for t in raw_tickets) if isinstance(raw_tickets, list) else (),
        )


@dataclass(frozen=True)
class Digest:
    generated_at: datetime
    tiers: list[str]  # the tiers covered, highest first
    items: list[DigestItem]  # the `limit` tickets most at stake, ranked
    more_count: int  # breached or at-risk tickets not in `items`
    breached_total: int
    at_risk_total: int
    attainment: dict[str, float | None]  # percent of decided SLA targets met in the window, per tier
    movement: dict[str, TierMovement]
    enterprise_breaches: list[DigestItem]  # breached tickets of the top tier, ranked, capped
    enterprise_tier: str = ""
    enterprise_more: int = 0  # top-tier breaches beyond the cap
    window_days: int = 7
    breached_by_tier: dict[str, int] = field(default_factory=dict)
    at_risk_by_tier: dict[str, int] = field(default_factory=dict)
    show_command: str = "tierbot digest show"  # lists everything counted, for "and 37 more"

    @property
    def empty(self) -> bool:
        return self.breached_total == 0 and self.at_risk_total == 0

    def snapshot(self) -> DigestSnapshot:
        return DigestSnapshot(
            generated_at=self.generated_at.isoformat(),
            breached={t: self.breached_by_tier.get(t, 0) for t in self.tiers},
            at_risk={t: self.at_risk_by_tier.get(t, 0) for t in self.tiers},
            attainment={t: self.attainment.get(t) for t in self.tiers},
            tickets=tuple(i.ticket_id for i in self.items),
        )


def show_command(tiers: set[str] | None, policy_order: list[str]) -> str:
    """The CLI command that lists every ticket a digest counted (for "and 37 more")."""
    if not tiers:
        return "tierbot digest show"
    return "tierbot digest show " + " ".join(f"--tier {t}" for t in policy_order if t in tiers)


def movement(
    tiers: list[str],
    breached: dict[str, int],
    at_risk: dict[str, int],
    attainment: dict[str, float | None],
    previous: DigestSnapshot | None,
) -> dict[str, TierMovement]:
    out: dict[str, TierMovement] = {}
    for tier in tiers:
        b, r, a = breached.get(tier, 0), at_risk.get(tier, 0), attainment.get(tier)
        b_delta = r_delta = None
        a_delta = None
        # A tier the previous digest did not cover (new tier, changed filter) has no movement.
        if previous is not None and tier in previous.breached:
            b_delta = b - previous.breached[tier]
            r_delta = r - previous.at_risk.get(tier, 0)
            before = previous.attainment.get(tier)
            if a is not None and before is not None:
                a_delta = a - before
        out[tier] = TierMovement(tier, b, r, a, b_delta, r_delta, a_delta)
    return out
