"""One ranking rule for what is at stake, with severity in it: alerts use it, the digest can adopt it.

Most at stake first:
1. the higher tier (its rank in the policy);
2. the more severe ticket (sev1 before sev2 ...);
3. breached (at or past the target) before not yet breached;
4. the larger account (ACV);
5. the further over the target (or, not breached, the closer to it).
"""

from __future__ import annotations

from decimal import Decimal

SEVERITY_ORDER = {"sev1": 0, "sev2": 1, "sev3": 2, "sev4": 3}

StakesKey = tuple[int, int, int, Decimal, int]


def stakes(tier_rank: int, severity: str, acv: Decimal, minutes_over: int) -> StakesKey:
    """Sort key, ascending = most at stake first. `minutes_over` is negative while time is left."""
    return (
        -tier_rank,
        SEVERITY_ORDER.get(severity, len(SEVERITY_ORDER)),
        0 if minutes_over >= 0 else 1,
        -acv,
        -minutes_over,
    )
