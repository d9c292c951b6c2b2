"""The ranking of alerts: the digest's rule (`bot.sla.state.stake_key`), so alerts, digests and
`tierbot digest show` order tickets the same way. Most at stake first:

1. the higher tier (its rank in the policy);
2. breached (at or past the target) before not yet breached;
3. the more severe ticket (sev1 before sev2 ...);
4. the larger account (ACV);
5. the further over the target (or, not breached, the closer to it).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from bot.sla.state import stakes as _stakes

SEVERITY_ORDER = {"sev1": 0, "sev2": 1, "sev3": 2, "sev4": 3}

StakesKey = tuple[Any, ...]


def stakes(tier_rank: int, severity: str, acv: Decimal, minutes_over: int) -> StakesKey:
    """Sort key, ascending = most at stake first. `minutes_over` is negative while time is left."""
    return _stakes(tier_rank, 0 if minutes_over >= 0 else 1, severity, acv, -minutes_over)
