"""Which SLA targets a ticket runs on, and the lookup of a target per (tier, severity), kept for one
import, sync page or stream of clocks (a policy lookup walks the tiers; 37,500 tickets share a dozen
pairs).

The rule (README, "Tier changes and open tickets"): a ticket runs on the targets of the tier it was
opened in (`tickets.sla_tier`, stored at import), so an override or a tier move never re-judges a
ticket in flight. When the policy no longer has a target for that tier and severity, it falls back to
the account's current tier rather than hiding the ticket. `bot.sla.state` (every open clock, the
report's breaches) and the link unfurls apply it through here.
"""

from __future__ import annotations

import logging

from bot.policy.model import Calendar, Policy, SlaTarget
from bot.sla.calendar import Timeline, timeline
from bot.sla.clock import sla_target

log = logging.getLogger(__name__)

Target = tuple[SlaTarget, Calendar]
TimedTarget = tuple[SlaTarget, Timeline, int]  # the target, its calendar's timeline, the tier's rank


class Targets:
    """`sla_target` per (tier, severity), looked up once per pair. Not thread-safe: one per use."""

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self._targets: dict[tuple[str, str], Target | None] = {}
        self._timed: dict[tuple[str, str], TimedTarget | None] = {}
        self._fallbacks: set[tuple[str, str]] = set()  # pairs already logged as falling back

    def get(self, tier: str, severity: str) -> Target | None:
        """The target and calendar, or None for a tier (or severity) the policy has no target for."""
        key = (tier, severity)
        if key not in self._targets:
            self._targets[key] = sla_target(self.policy, tier, severity)
        return self._targets[key]

    def timed(self, tier: str, severity: str) -> TimedTarget | None:
        """The target with its calendar's timeline and the tier's rank, for the clocks (a missing pair
        is logged once per lookup)."""
        key = (tier, severity)
        if key not in self._timed:
            found = self.get(tier, severity)
            if found is None:
                log.warning("tickets of tier %r / severity %r have no SLA in the policy", tier, severity)
                self._timed[key] = None
            else:
                self._timed[key] = (found[0], timeline(found[1]), self.policy.rank(tier))
        return self._timed[key]

    def served_tier(self, ticket_tier: str, account_tier: str, severity: str) -> str:
        """The tier whose targets the ticket runs on (see the module's docstring)."""
        if ticket_tier != account_tier and self.get(ticket_tier, severity) is None:
            if (ticket_tier, severity) not in self._fallbacks:
                self._fallbacks.add((ticket_tier, severity))
                log.warning(
                    "tickets of tier %r / severity %r have no SLA in the policy; judged on their account's tier",
                    ticket_tier,
                    severity,
                )
            return account_tier
        return ticket_tier


def served_tier(policy: Policy, ticket_tier: str, account_tier: str, severity: str) -> str:
    """The tier whose targets a ticket runs on: the one it was opened in (`ticket_tier`), or the
    account's current tier when the policy has no target for the first (for this severity)."""
    return Targets(policy).served_tier(ticket_tier, account_tier, severity)
